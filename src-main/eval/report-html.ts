// Self-contained HTML report: model table with CIs, per-fold AUCs, paired comparisons, inline-SVG ROC curves and
// the MCM+KD loss curve. No external assets, scripts or fonts (opens offline, prints, can be mailed).
import { modelTable, type EvalReport } from './report'

const palette = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf']

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)
}

const num = (v: number | null | undefined, d = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d))

/** ROC curves of every model's pooled out-of-fold predictions, one polyline each, with the chance diagonal. */
function rocSvg(r: EvalReport): string {
  const size = 320
  const pad = 40
  const px = (v: number): number => pad + v * size
  const py = (v: number): number => pad + (1 - v) * size
  const curves = r.models
    .map((m, i) => {
      if (!m.roc) return ''
      const pts = m.roc.map((p) => `${px(p.fpr).toFixed(1)},${py(p.tpr).toFixed(1)}`).join(' ')
      return `<polyline fill="none" stroke="${palette[i % palette.length]}" stroke-width="2" points="${pts}"><title>${escapeHtml(m.name)}</title></polyline>`
    })
    .join('')
  const legend = r.models
    .map(
      (m, i) =>
        `<g transform="translate(${px(0.42)},${py(0.32) + i * 18})"><rect width="12" height="12" fill="${palette[i % palette.length]}"/><text x="18" y="11" font-size="12">${escapeHtml(m.name)} (AUC ${num(m.auc_pooled)})</text></g>`
    )
    .join('')
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((t) => `<text x="${px(t)}" y="${py(0) + 16}" font-size="10" text-anchor="middle">${t}</text><text x="${pad - 6}" y="${py(t) + 3}" font-size="10" text-anchor="end">${t}</text>`)
    .join('')
  return `<svg class="roc" xmlns="http://www.w3.org/2000/svg" width="${size + 2 * pad}" height="${size + 2 * pad}" role="img" aria-label="ROC curves">
<rect x="${pad}" y="${pad}" width="${size}" height="${size}" fill="#fff" stroke="#444"/>
<line x1="${px(0)}" y1="${py(0)}" x2="${px(1)}" y2="${py(1)}" stroke="#aaa" stroke-dasharray="4 4"/>
${curves}${legend}${ticks}
<text x="${px(0.5)}" y="${py(0) + 32}" font-size="12" text-anchor="middle">false positive rate</text>
<text x="12" y="${py(0.5)}" font-size="12" text-anchor="middle" transform="rotate(-90 12 ${py(0.5)})">true positive rate</text>
</svg>`
}

/** A simple line chart of a loss curve (MCM+KD fine-tuning). */
function lossSvg(points: { step: number; loss: number }[]): string {
  const w = 480
  const h = 220
  const pad = 44
  const finite = points.filter((p) => Number.isFinite(p.loss) && Number.isFinite(p.step))
  if (finite.length < 2) return '<p>No loss curve recorded.</p>'
  const xs = finite.map((p) => p.step)
  const ys = finite.map((p) => p.loss)
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)]
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)]
  const sx = (v: number): number => pad + ((v - x0) / (x1 - x0 || 1)) * (w - 2 * pad)
  const sy = (v: number): number => h - pad + -((v - y0) / (y1 - y0 || 1)) * (h - 2 * pad)
  const pts = finite.map((p) => `${sx(p.step).toFixed(1)},${sy(p.loss).toFixed(1)}`).join(' ')
  return `<svg class="loss" xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img" aria-label="fine-tuning loss curve">
<rect x="${pad}" y="${pad}" width="${w - 2 * pad}" height="${h - 2 * pad}" fill="#fff" stroke="#444"/>
<polyline fill="none" stroke="${palette[0]}" stroke-width="2" points="${pts}"/>
<text x="${pad}" y="${h - pad + 16}" font-size="10">${x0}</text><text x="${w - pad}" y="${h - pad + 16}" font-size="10" text-anchor="end">${x1}</text>
<text x="${pad - 4}" y="${sy(y1) + 4}" font-size="10" text-anchor="end">${num(y1, 4)}</text><text x="${pad - 4}" y="${sy(y0)}" font-size="10" text-anchor="end">${num(y0, 4)}</text>
<text x="${w / 2}" y="${h - 8}" font-size="12" text-anchor="middle">step</text>
</svg>`
}

function table(header: string[], rows: string[][], cls = ''): string {
  return `<table class="${cls}"><thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`
}

export function renderReportHtml(r: EvalReport): string {
  const main = modelTable(r)
  const foldIds = [...new Set(r.models.flatMap((m) => m.folds.map((f) => f.fold)))].sort((a, b) => a - b)
  const foldRows = r.models.map((m) => [m.name, ...foldIds.map((id) => num(m.folds.find((f) => f.fold === id)?.auc)), num(m.auc_mean)])
  const ciText = (ci: [number, number] | null): string => (ci ? `[${num(ci[0])}, ${num(ci[1])}]` : '—')
  const cmpRows = r.comparisons.map((c) => [
    `${c.b} − ${c.a}`,
    num(c.auc_diff_fold_mean),
    ciText(c.ci_fold_mean),
    num(c.p_value_fold_mean, 4),
    num(c.auc_diff),
    ciText(c.ci),
    `${num(c.p_value, 4)} (${c.method})`
  ])
  const rep = r.repeats
  const seedCols = rep ? rep.seeds.map((sd) => `seed ${sd}`) : []
  const repModelRows = rep
    ? rep.over_seeds.models.map((m, i) => [
        m.name,
        ...rep.per_seed.map((s) => `${num(s.models[i]?.auc_mean)} / ${num(s.models[i]?.auc_pooled)}`),
        `${num(m.auc_mean_over_seeds)} ± ${num(m.auc_sd_over_seeds)}`,
        `${num(m.auc_pooled_mean_over_seeds)} ± ${num(m.auc_pooled_sd_over_seeds)}`
      ])
    : []
  const repCmpRows = rep
    ? rep.over_seeds.comparisons.map((c) => [
        `${c.b} − ${c.a}`,
        ...rep.per_seed.map((s) => num(s.comparisons.find((x) => x.a === c.a && x.b === c.b)?.auc_diff)),
        num(c.auc_diff_mean),
        ciText(c.ci),
        num(c.p_value, 4)
      ])
    : []
  const repHtml = rep
    ? `<h2>Repeated cross-validation over ${rep.seeds.length} seeds</h2>
<p class="meta">Every figure above is the first seed's (${rep.seeds[0]}). Here each seed's split and MIL training; AUC fold mean / pooled per seed, mean ± sd over seeds.</p>
${table(['model', ...seedCols, 'AUC fold mean over seeds', 'AUC pooled over seeds'], repModelRows, 'repeats')}
${repCmpRows.length ? table(['difference', ...seedCols.map((c) => `ΔAUC pooled ${c}`), 'mean ΔAUC', '95% CI', 'p'], repCmpRows, 'repeats-comparisons') : ''}
${repCmpRows.length ? `<p class="meta">Test: ${escapeHtml(rep.over_seeds.comparisons[0]?.method ?? '')}; ${r.bootstrap_resamples} resamples.</p>` : ''}
`
    : ''
  const ft = r.finetune
  const ftRows = ft
    ? [
        ['run', String(ft.run_id)],
        ...(ft.metric ? [['figures', ft.metric]] : []),
        ['masked L1 before → after', `${num(ft.masked_l1_before, 4)} → ${num(ft.masked_l1_after, 4)}`],
        ['masked L1 control (teacher-free)', num(ft.masked_l1_control, 4)],
        ['visible-patch L1 (mean)', num(ft.masked_l1_visible_mean, 4)],
        ['teacher probe R² before → after', `${num(ft.teacher_probe_r2_before ?? null, 3)} → ${num(ft.teacher_probe_r2_after ?? null, 3)}`],
        ...(ft.main_steps ? [['MCM+KD budget', `${ft.main_steps} steps, ${ft.main_images ?? '—'} student images`]] : []),
        ...(ft.patch_kd
          ? [['per-patch KD control (window 1, same budget): teacher probe R² after', `${num(ft.patch_kd.teacher_probe_r2_after, 3)} (${ft.patch_kd.steps} steps, ${ft.patch_kd.images} images)`]]
          : []),
        ...(ft.truth_probe
          ? [[`truth probe R² ("${ft.truth_probe.channel}") before → after${ft.patch_kd?.truth_probe_r2_after !== undefined ? ' (per-patch KD)' : ''}`, `${num(ft.truth_probe.r2_before, 3)} → ${num(ft.truth_probe.r2_after, 3)}${typeof ft.patch_kd?.truth_probe_r2_after === 'number' ? ` (${num(ft.patch_kd.truth_probe_r2_after, 3)})` : ''}`]]
          : []),
        ...(ft.preregistration_sha256 ? [['pre-registration (SHA-256)', `${ft.preregistration_file ?? ''} ${ft.preregistration_sha256}`]] : []),
        ['epochs', ft.epochs === null ? '—' : String(ft.epochs)],
        ['backend', ft.backend ?? '—'],
        ['train images/s', num(ft.train_images_per_s, 1)]
      ]
    : []
  const timings = Object.entries(r.timings).map(([k, v]) => [k, `${num(v, 2)} s`])
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Tessera evaluation — ${escapeHtml(r.project)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}thead th{background:#f3f3f3}
.meta{color:#555}.warn{background:#fff3cd;border:1px solid #e0b000;padding:6px 10px}.plots{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
</style></head><body>
<h1>Evaluation: ${escapeHtml(r.project)}</h1>
<p class="meta">${escapeHtml(r.aggregator)} · ${r.folds_k}-fold cross-validation (${escapeHtml(r.split_method)}) · ${r.n_slides} slides from ${r.n_patients} patients ·
classes ${escapeHtml(r.classes.join(', '))}${r.positive_class ? ` (positive: ${escapeHtml(r.positive_class)})` : ''} · seed ${r.seed} · ${escapeHtml(r.created_at)}</p>
${(r.warnings ?? []).map((w) => `<p class="warn"><strong>Warning:</strong> ${escapeHtml(w)}</p>`).join('\n')}
<h2>Models</h2>
${table(main.header, main.rows, 'models')}
<p class="meta">AUC mean ± sd over folds (folds whose test set lacks a class are left out). CIs: ${escapeHtml(r.ci_method)}; ${r.bootstrap_resamples} resamples.
AUC pooled = one AUC over all out-of-fold predictions together (models of different folds are not calibrated to each other, so it can sit below the fold mean).</p>
<h2>AUC per fold</h2>
${table(['model', ...foldIds.map((f) => `fold ${f}`), 'mean'], foldRows, 'folds')}
<h2>Paired comparisons</h2>
${cmpRows.length ? table(['difference', 'ΔAUC (fold mean)', '95% CI', 'p (paired bootstrap)', 'ΔAUC (pooled)', '95% CI', 'p (pooled)'], cmpRows, 'comparisons') : '<p>Only one model: nothing to compare.</p>'}
${repHtml}<h2>Curves</h2>
<div class="plots">
<figure>${r.models.some((m) => m.roc) ? rocSvg(r) : '<p>ROC curves are drawn for binary tasks only (multi-class AUC is one-vs-rest macro).</p>'}<figcaption>ROC, pooled out-of-fold predictions</figcaption></figure>
${ft?.loss_curve ? `<figure>${lossSvg(ft.loss_curve)}<figcaption>MCM+KD fine-tuning loss (run ${escapeHtml(String(ft.run_id))})</figcaption></figure>` : ''}
</div>
<h2>Fine-tuning run</h2>
${ft ? table(['', 'value'], ftRows, 'finetune') : '<p>No fine-tuning run attached to this evaluation.</p>'}
<h2>Timings</h2>
${table(['step', 'time'], timings, 'timings')}
</body></html>
`
}
