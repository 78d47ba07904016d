"""A ResNet-18 train-step parity fixture whose checked gradients no float32 ReLU/max-pool flip can move (torch alone decides).

Usage:  /usr/bin/python3 scripts/reference/torch_parity_margin.py tests/fixtures/torch   (writes parity_margin.json)
        /usr/bin/python3 scripts/reference/torch_parity_margin.py --check SEED           (report one seed, writes nothing)
        PARITY_MARGIN_SHAPE=2,3,32,32 ... --check SEED   (another input shape; how the 32x32 figures below were measured)
Why: on the 224 fixture (parity.json) the early-layer gradients depend on which side of a ReLU kink a few activations
fall, which float32 rounding decides for any implementation (docs/cpu-profile.md §3c); such a fixture measures luck.

CRITERION (fixed before any Tessera result on these inputs was looked at; computed from torch float32/float64 only):
  model  torchvision resnet18, fc = Identity, formula weights (formula_weights.py), train mode, loss sum(features * w),
         w = formula 'loss_weight' [2, 512]; input = formula 'input.seed<k>' [2, 3, 64, 64] (uniform in [-1, 1)).
  noise  per tensor T: max |T_f32 - T_f64| over the tensor (torch float32 against torch float64 of the same step).
  near   a ReLU input element (after each BatchNorm that feeds one and after each residual add; 17 tensors) with
  kink   |T_f64| <= FACTOR * noise(T); a 3x3/2 max-pool window whose float64 maximum is > 0 and whose largest -
         second largest <= FACTOR * noise(pool input) (a window whose maximum is 0 holds only ReLU-dropped values).
         FACTOR = 20. An implementation's float32 rounding may put any of these on the other side.
  flip   for each near-kink element, float64 autograd gives exactly how much every parameter gradient moves if its ReLU
  effect derivative flips (|dL/dout_e| * |d a_e / d theta|) or the window's gradient goes to the runner-up instead.
  check  a gradient tensor G (sampled as stored) is KINK-ROBUST if the sum of all near-kink flip effects on it, taken
         together in the worst direction (per value, then max), is <= 1e-5 * max|G_f64|: a tenth of the test's 1e-4
         bound, so no combination of flips can fail it. The test checks kink-robust gradients, the features and the
         running statistics (continuous: no kink) at 1e-4 against torch float32 and float64; every other stored
         gradient only against float64 within 1e-4 * scale + its flip bound (a gross-error check, not accuracy).
  seeds  k = 1, 2, ... in order, at most MAX_SEEDS; accepted: the first seed whose kink-robust set holds every BatchNorm
         weight and bias gradient and conv1.weight, layer2.0.conv1.weight, layer4.1.conv2.weight (first/middle/last);
         if none does, the seed with the most kink-robust tensors (ties: the lower seed).
  The stricter first idea (accept a seed only if NO element is near a kink) was measured first and is unreachable:
  at 2x3x64x64 seed 1 has 10 of 18 ReLU/pool inputs within 20x noise (margin/noise down to 0.18), at 2x3x32x32
  seeds 1-16 all fail (4-10 tensors each, mostly layer4 where BatchNorm sees 2 values per channel). Each near-kink
  element's flip moves early-layer gradients by ~1-5 % at 64x64 (fewer, smaller effects at 224: one flip moved
  bn1.weight 1.2 %), so early-layer gradients of a float32 ResNet-18 step are only defined to ~1e-2 at this size.
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(__file__))
from formula_weights import formula_resnet18, formula_tensor  # noqa: E402

FACTOR = 20.0
MAX_SEEDS = 8
BOUND = 1e-4       # the parity test's bound on max |a - b| / max |b|
SHAPE = tuple(int(v) for v in os.environ.get("PARITY_MARGIN_SHAPE", "2,3,64,64").split(","))
BN_SAMPLE = 64     # values kept per BatchNorm weight/bias gradient (evenly strided over the channels)
CONV_SAMPLE = 128  # values kept per convolution weight gradient (evenly strided over OIHW)
STATS = ('bn1.running_mean', 'bn1.running_var', 'layer2.0.downsample.1.running_mean', 'layer4.1.bn2.running_var')


def strided(t, limit):
    """every step-th value of the flat tensor from index 0, step = ceil(n/limit) made odd (tests/unit/ml/parity-margin.ts
    twin): an even step of a convolution lands on one (input channel, tap) every time (at layer4: i = 0, corner tap)"""
    a = t.detach().double().flatten()
    step = -(-a.numel() // limit)
    step += 1 - step % 2
    return a[::step].tolist()


def r9(values):
    return [float('%.9g' % v) for v in values]


def train_step(dtype, seed, taps=None):
    """one train step; returns (features, running stats, sampled gradients, model); taps collects ReLU/pool inputs
    and outputs (graph kept, ReLUs made out-of-place) for the flip analysis"""
    resnet = formula_resnet18(dtype)
    calls = {}
    if taps is not None:
        def tap(name):
            def hook(_m, inputs, output):
                i = calls.get(name, 0)
                calls[name] = i + 1
                output.retain_grad()
                taps['%s#%d' % (name, i)] = (inputs[0], output)
            return hook
        for name, m in resnet.named_modules():
            if isinstance(m, nn.ReLU):
                m.inplace = False
            if isinstance(m, (nn.ReLU, nn.MaxPool2d)):
                m.register_forward_hook(tap(name))
    x = torch.from_numpy(formula_tensor('input.seed%d' % seed, SHAPE)).to(dtype)
    w = torch.from_numpy(formula_tensor('loss_weight', (2, 512))).to(dtype)
    feats = resnet(x)
    (feats * w).sum().backward(retain_graph=taps is not None)
    grads = {k: strided(p.grad, BN_SAMPLE if p.dim() == 1 else CONV_SAMPLE) for k, p in resnet.named_parameters()}
    stats = {k: v.detach().double().flatten().tolist() for k, v in resnet.state_dict().items() if k in STATS}
    return feats.detach().double().flatten().tolist(), stats, grads, resnet


def pool_windows(x):
    """per 3x3/2 pad-1 window whose largest is > 0: gap largest - second largest, flat index of each in x; and the
    [n*c, windows] mask of those windows (window order = the pool output's flat order)"""
    n, c, h, w = x.shape
    idx = torch.arange(n * c * h * w, dtype=torch.float64).reshape(n * c, 1, h, w)
    xp = F.pad(x.reshape(n * c, 1, h, w), (1, 1, 1, 1), value=float('-inf'))
    ip = F.pad(idx, (1, 1, 1, 1), value=-1.0)
    cols, icols = F.unfold(xp, 3, stride=2), F.unfold(ip, 3, stride=2)  # [n*c, 9, windows]
    top2 = cols.topk(2, dim=1)  # first maximum in window order wins on ties, as torch and Tessera do
    keep = top2.values[:, 0, :] > 0
    first = icols.gather(1, top2.indices[:, :1, :])[:, 0, :][keep].long()
    second = icols.gather(1, top2.indices[:, 1:, :])[:, 0, :][keep].long()
    return (top2.values[:, 0, :] - top2.values[:, 1, :])[keep], first, second, keep


def check(seed):
    """near-kink elements and, per sampled gradient tensor, (summed worst-case flip effect, max |G_f64|)"""
    taps32, taps64 = {}, {}
    train_step(torch.float32, seed, taps32)
    _, _, grads64, model = train_step(torch.float64, seed, taps64)
    params = dict(model.named_parameters())
    effect = {k: torch.zeros(len(v), dtype=torch.float64) for k, v in grads64.items()}
    near = {}
    for name, (a64, out64) in taps64.items():
        noise = (taps32[name][0].detach().double() - a64.detach()).abs().max().item()
        if name.startswith('maxpool'):
            gap, first, second, keep = pool_windows(a64.detach())
            gwin = out64.grad.reshape(keep.shape)[keep]
            sel = (gap <= FACTOR * noise).nonzero().flatten().tolist()
            pairs = [(gwin[i].item(), (first[i].item(), second[i].item())) for i in sel]
        else:
            flat = a64.detach().flatten()
            sel = (flat.abs() <= FACTOR * noise).nonzero().flatten()
            pairs = [(out64.grad.flatten()[i].item(), (i,)) for i in sel.tolist()]
        near[name] = len(pairs)
        for g, elems in pairs:
            src = a64.flatten()
            target = src[elems[0]] if len(elems) == 1 else src[elems[1]] - src[elems[0]]
            d = torch.autograd.grad(target, list(params.values()), retain_graph=True, allow_unused=True)
            for (k, p), dp in zip(params.items(), d):
                if dp is not None:
                    effect[k] += abs(g) * torch.tensor(strided(dp, BN_SAMPLE if p.dim() == 1 else CONV_SAMPLE)).abs()
    bounds = {k: (effect[k].max().item(), max(abs(v) for v in grads64[k])) for k in grads64}
    return near, bounds


def checked(bounds):
    return sorted(k for k, (e, s) in bounds.items() if e <= 0.1 * BOUND * s)


def required(names):
    """the gradients a seed must have checked: every BatchNorm weight/bias, the first, a middle and the last conv"""
    bn = [k for k in names if '.bn' in k or k.startswith('bn') or '.downsample.1.' in k]
    return bn + ['conv1.weight', 'layer2.0.conv1.weight', 'layer4.1.conv2.weight']


def main(out_dir):
    tried, best = [], None
    for seed in range(1, MAX_SEEDS + 1):
        near, bounds = check(seed)
        ok = checked(bounds)
        need = required(bounds)
        missing = sorted(set(need) - set(ok))
        tried.append({'seed': seed, 'near_kink': sum(near.values()), 'unchecked_required': missing})
        print('seed %d: %d near-kink elements, %d of %d required gradients unchecked %s' % (seed, sum(near.values()), len(missing), len(need), missing[:6]), flush=True)
        if best is None or len(ok) > len(best[2]):
            best = (seed, near, ok, bounds)
        if not missing:
            break
    seed, near, ok, bounds = best
    print('seed %d chosen; checked gradients: %d of %d' % (seed, len(ok), len(bounds)))
    f32 = train_step(torch.float32, seed)
    f64 = train_step(torch.float64, seed)
    out = {
        'produced_by': 'scripts/reference/torch_parity_margin.py with torch %s, torchvision %s' % (torch.__version__, torchvision.__version__),
        'criterion': __doc__.split('CRITERION')[1].strip(),
        'factor': FACTOR, 'input': {'name': 'input.seed%d' % seed, 'shape_nchw': list(SHAPE)}, 'seed': seed,
        'seeds_tried': tried,
        'near_kink_elements': near,
        'kink_robust_grads': ok,
        'flip_bound': {k: float('%.3g' % e) for k, (e, _) in bounds.items()},
        'sampling': 'gradients: every step-th value of the flat torch-layout tensor from 0, step = ceil(n/%d) (1-D) or ceil(n/%d) (convolutions), plus 1 if even' % (BN_SAMPLE, CONV_SAMPLE),
    }
    for tag, (feats, stats, grads, _) in (('f32', f32), ('f64', f64)):
        out['features_' + tag] = r9(feats)
        out['running_stats_' + tag] = {k: r9(v) for k, v in stats.items()}
        out['grads_' + tag] = {k: r9(v) for k, v in grads.items()}
    with open(os.path.join(out_dir, 'parity_margin.json'), 'w') as f:
        json.dump(out, f)


if __name__ == '__main__':
    torch.set_num_threads(2)
    if sys.argv[1:2] == ['--check']:
        near, bounds = check(int(sys.argv[2]))
        print('near-kink elements per tensor:', near)
        for k, (e, sc) in bounds.items():
            print('%-36s flip effect %.3g scale %.3g%s' % (k, e, sc, '' if e <= 0.1 * BOUND * sc else '  (unchecked)'))
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else 'tests/fixtures/torch')
