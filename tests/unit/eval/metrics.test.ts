// AUC, balanced accuracy, F1 and ROC against hand-computed cases (ties included).
import { describe, expect, it } from 'vitest'
import { auc, aucBinary, balancedAccuracy, f1, rocCurve, type Predictions } from '../../../src-main/eval/metrics'

/** Binary prediction set from P(class 1) scores. */
function binary(labels: number[], p1: number[]): Predictions {
  const probs = new Float64Array(labels.length * 2)
  p1.forEach((p, i) => {
    probs[i * 2] = 1 - p
    probs[i * 2 + 1] = p
  })
  return { labels: Int32Array.from(labels), probs, classes: 2 }
}

describe('aucBinary', () => {
  it('counts a tied positive/negative pair as one half', () => {
    // positives 0.8, 0.5, 0.5; negatives 0.5, 0.2 → pairs: (0.8>0.5)=1 (0.8>0.2)=1 (0.5=0.5)=½ (0.5>0.2)=1 twice → 5/6
    expect(aucBinary([0.8, 0.5, 0.5, 0.5, 0.2], [true, true, true, false, false])).toBeCloseTo(5 / 6, 12)
  })
  it('is 0.5 when every score is tied and 1 / 0 for perfect / inverted ranking', () => {
    expect(aucBinary([0.3, 0.3, 0.3, 0.3], [true, false, true, false])).toBe(0.5)
    expect(aucBinary([0.9, 0.8, 0.1, 0.2], [true, true, false, false])).toBe(1)
    expect(aucBinary([0.1, 0.2, 0.9, 0.8], [true, true, false, false])).toBe(0)
  })
  it('matches the brute-force pair count on a case with several tie groups', () => {
    const s = [0.1, 0.4, 0.4, 0.35, 0.8, 0.4, 0.1, 0.9]
    const y = [false, true, false, true, true, false, true, false]
    // pos: 0.4, 0.35, 0.8, 0.1 ; neg: 0.1, 0.4, 0.4, 0.9
    // 0.4: >0.1 (1) =0.4 (½) =0.4 (½) <0.9 (0) → 2 ; 0.35: 1 ; 0.8: 3 ; 0.1: =0.1 (½) → 0.5 ; total 6.5 / 16
    expect(aucBinary(s, y)).toBeCloseTo(6.5 / 16, 12)
  })
  it('is NaN when a class is missing', () => {
    expect(aucBinary([0.1, 0.2], [true, true])).toBeNaN()
  })
})

describe('multi-class and threshold metrics', () => {
  it('macro one-vs-rest AUC averages per-class AUCs', () => {
    // 3 classes, 4 slides. Class-0 scores [.7,.2,.1,.4] vs y==0 [T,F,F,F] → 1; class 1 [.2,.5,.3,.3] vs [F,T,F,F] → 1;
    // class 2 [.1,.3,.6,.3] vs [F,F,T,T] → positives .6,.3 vs negatives .1,.3: (1+1+1+½)/4 = 0.875 → mean (1+1+0.875)/3
    const p: Predictions = {
      labels: Int32Array.from([0, 1, 2, 2]),
      probs: Float64Array.from([0.7, 0.2, 0.1, 0.2, 0.5, 0.3, 0.1, 0.3, 0.6, 0.4, 0.3, 0.3]),
      classes: 3
    }
    expect(auc(p)).toBeCloseTo((1 + 1 + 0.875) / 3, 12)
  })
  it('balanced accuracy and F1 from a known confusion matrix', () => {
    // truth 1,1,1,0,0,0,0 ; predicted (p>0.5) 1,1,0,0,0,0,1 → TP 2 FN 1 TN 3 FP 1
    const p = binary([1, 1, 1, 0, 0, 0, 0], [0.9, 0.8, 0.2, 0.1, 0.3, 0.4, 0.7])
    expect(balancedAccuracy(p)).toBeCloseTo((2 / 3 + 3 / 4) / 2, 12)
    expect(f1(p)).toBeCloseTo((2 * 2) / (2 * 2 + 1 + 1), 12)
  })
  it('ROC curve runs from (0,0) to (1,1) and merges tied thresholds', () => {
    const pts = rocCurve([0.9, 0.5, 0.5, 0.1], [true, true, false, false])
    expect(pts).toEqual([
      { fpr: 0, tpr: 0 },
      { fpr: 0, tpr: 0.5 },
      { fpr: 0.5, tpr: 1 },
      { fpr: 1, tpr: 1 }
    ])
  })
})
