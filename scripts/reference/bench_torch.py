"""PyTorch anchor for Tessera's ML bench (src-main/bench/ml.ts): same workloads as tfjs, JSON on stdout.

Usage: /usr/bin/python3 scripts/reference/bench_torch.py '{"threads":[1,2],"resnet":[[224,32,2]],"fwd":[[224,32,2]],"encoder":[32,2]}'
  resnet: [size, batch, timed iterations] train steps (L1 to a random 512-d target + Adam), fwd: eval forward,
  encoder: [batch, iterations] 2-layer pre-LN encoder d=256, 4 heads, FFN 1024, seq 64, L1 + Adam.
  mcm: [[spec, iterations]] one MCM+KD step (see mcm_step) on the shape spec gives (src-main/bench/cpu-workloads.ts
  hands over the shape Tessera's trainer built: student, patch, windows, masked cells, predictor, teacher dim, AdamW).
units_per_cpu_s: images (or visible patches) per CPU-second of this process, all threads; Tessera's bench runs this
script with OMP_WAIT_POLICY=PASSIVE, as its own native kernels run, so idle OpenMP threads do not bill spinning.
Each result carries peak_rss_mib: this process's peak RSS so far (ru_maxrss; it only grows), so a per-workload figure
needs one process per workload (src-main/bench/cpu.ts runs it so); startup_rss_mib: the same right after the imports.
One warm-up iteration before timing. Threads via torch.set_num_threads.
"""
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torchvision


CPU_SECONDS = []  # CPU seconds per iteration of the last timed() call (all threads of this process)


def timed(fn, iters):
    fn()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(iters):
        fn()
    CPU_SECONDS[:] = [(time.process_time() - c0) / iters]
    return (time.perf_counter() - t0) / iters


def resnet_train(size, batch, iters):
    m = torchvision.models.resnet18()
    m.fc = nn.Identity()
    m.train()
    opt = torch.optim.Adam(m.parameters(), 1e-4)
    x, y = torch.randn(batch, 3, size, size), torch.randn(batch, 512)

    def step():
        opt.zero_grad()
        (m(x) - y).abs().mean().backward()
        opt.step()
    return batch / timed(step, iters)


def resnet_fwd(size, batch, iters):
    m = torchvision.models.resnet18()
    m.fc = nn.Identity()
    m.eval()
    x = torch.randn(batch, 3, size, size)

    def fwd():
        with torch.no_grad():
            m(x)
    return batch / timed(fwd, iters)


def encoder_train(batch, iters):
    layer = nn.TransformerEncoderLayer(256, 4, 1024, dropout=0.0, activation='gelu', batch_first=True, norm_first=True)
    m = nn.Sequential(nn.TransformerEncoder(layer, 2), nn.LayerNorm(256))
    opt = torch.optim.Adam(m.parameters(), 1e-4)
    x, y = torch.randn(batch, 64, 256), torch.randn(batch, 64, 256)

    def step():
        opt.zero_grad()
        (m(x) - y).abs().mean().backward()
        opt.step()
    return batch / timed(step, iters)


class SmallCnn(nn.Module):
    """Tessera's smallcnn (src-main/ml/models/smallcnn.ts): conv3x3/2 (no bias) + BN + ReLU stages, global average pool."""

    def __init__(self, width=16, depth=3):
        super().__init__()
        layers, in_c = [], 3
        for i in range(depth):
            c = width * 2 ** min(i, 3)
            layers += [nn.Conv2d(in_c, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
            in_c = c
        self.body, self.dim = nn.Sequential(*layers), in_c

    def forward(self, x):
        return self.body(x).mean((2, 3))


class ContextPredictor(nn.Module):
    """Tessera's context predictor (src-main/ml/models/context-predictor.ts): input projection (+ LayerNorm), mask token
    and learned 2-D positions (row + column tables), `depth` pre-LN blocks (`heads` heads, MLP x mlp_ratio, GELU), final
    LayerNorm, linear head to the teacher dim. Torch's erf GELU against Tessera's tanh form: same shapes, same work."""

    def __init__(self, size, in_dim, width, depth, heads, mlp_ratio, out_dim, input_norm):
        super().__init__()
        self.size = size
        self.in_proj = nn.Linear(in_dim, width)
        self.in_norm = nn.LayerNorm(width) if input_norm else nn.Identity()
        self.mask_token = nn.Parameter(torch.zeros(width))
        self.pos_row, self.pos_col = nn.Parameter(torch.zeros(size, width)), nn.Parameter(torch.zeros(size, width))
        layer = nn.TransformerEncoderLayer(width, heads, round(width * mlp_ratio), dropout=0.0, activation='gelu', batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm, self.head = nn.LayerNorm(width), nn.Linear(width, out_dim)

    def forward(self, tokens, masked):
        s = self.size
        x = self.in_norm(self.in_proj(tokens))
        x = x * (1 - masked) + masked * self.mask_token
        pos = self.pos_row.repeat_interleave(s, 0) + self.pos_col.repeat(s, 1)
        return self.head(self.norm(self.blocks(x + pos)))


def mcm_step(spec, iters):
    """One MCM+KD step as src-main/ml/mcm/step.ts + trainer.ts, on the shape `spec` gives (cpu.ts derives it from the
    same McmConfig the Tessera side trains with): the student on the visible patches of `windows` windows of s x s
    cells (BatchNorm in training mode unless freeze_bn), placement into the grids by a one-hot matmul, the context
    predictor, L1 (mean over the teacher dim) on the masked cells, per-group gradient-norm clipping, AdamW with the
    student and predictor learning rates. Returns (visible patches/s, trainable parameter counts per group)."""
    if spec['student'] == 'resnet18':
        s = torchvision.models.resnet18()
        s.fc = nn.Identity()
        dim = 512
    else:
        s = SmallCnn(spec.get('width', 16), spec.get('depth', 3))
        dim = s.dim
    if dim != spec['student_dim']:
        raise ValueError(f"student {spec['student']}: feature dim {dim}, spec says {spec['student_dim']}")
    size, windows, n_masked, patch, tdim = spec['window'], spec['windows'], spec['masked_per_window'], spec['patch'], spec['teacher_dim']
    tokens = size * size
    visible = tokens - n_masked
    p = spec['predictor']
    pred = ContextPredictor(size, dim, p['width'], p['depth'], p['heads'], p['mlp_ratio'], tdim, p['input_norm'])
    o = spec['optim']
    groups = [list(s.parameters()), list(pred.parameters())]
    opt = torch.optim.AdamW([{'params': groups[0], 'lr': o['lr_student']}, {'params': groups[1], 'lr': o['lr_predictor']}],
                            betas=(o['beta1'], o['beta2']), eps=o['eps'], weight_decay=o['weight_decay'])
    n_vis = windows * visible
    x = torch.randn(n_vis, 3, patch, patch)
    # Tessera masks random cells per window; which ones does not change the work, so here every other cell
    place = torch.zeros(windows * tokens, n_vis)
    masked = torch.ones(windows * tokens)
    for w in range(windows):
        cells = torch.randperm(tokens)[:visible].sort().values
        for v, c in enumerate(cells.tolist()):
            place[w * tokens + c, w * visible + v] = 1.0
            masked[w * tokens + c] = 0.0
    masked = masked.reshape(windows, tokens, 1)
    target = torch.randn(windows, tokens, tdim)
    s.train()
    if spec['freeze_bn']:
        for mod in s.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.eval()

    def step():
        opt.zero_grad()
        f = s(x)
        t = (place @ f).reshape(windows, tokens, dim)
        loss = ((pred(t, masked) - target).abs().mean(2, keepdim=True) * masked).sum() / masked.sum()
        loss.backward()
        # Tessera computes both groups' norms every step (they are logged) and clips per group ('group') or on the joint norm
        for g in (groups if o['clip_scope'] == 'group' else [groups[0] + groups[1]]):
            torch.nn.utils.clip_grad_norm_(g, o['clip_norm'] if o['clip_norm'] > 0 else float('inf'))
        opt.step()
        return loss.item()
    params = {'student': sum(q.numel() for q in groups[0]), 'predictor': sum(q.numel() for q in groups[1])}
    # iterations 0: build only (a test compares the parameter counts with Tessera's models)
    return (n_vis / timed(step, iters) if iters > 0 else None), params


def peak_rss_mib():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main():
    cfg = json.loads(sys.argv[1])
    # after importing torch, before any workload: how much of a result's peak_rss_mib is the runtime itself
    out = {'torch': torch.__version__, 'torchvision': torchvision.__version__, 'startup_rss_mib': peak_rss_mib(), 'results': []}
    results = out['results']

    class Recorder(list):
        def append(self, r):
            # work per CPU-second (all threads): less sensitive to other load on the machine than wall-clock rates
            units = r.get('batch') or r.get('visible', 0)
            if CPU_SECONDS and units:
                r['units_per_cpu_s'] = units / CPU_SECONDS[0]
            list.append(self, r)
    out['results'] = results = Recorder()
    for threads in cfg.get('threads', [1, 2]):
        torch.set_num_threads(threads)
        for size, batch, iters in cfg.get('resnet', []):
            out['results'].append({'what': 'resnet18_train', 'threads': threads, 'size': size, 'batch': batch, 'images_per_s': resnet_train(size, batch, iters)})
        for size, batch, iters in cfg.get('fwd', []):
            out['results'].append({'what': 'resnet18_forward', 'threads': threads, 'size': size, 'batch': batch, 'images_per_s': resnet_fwd(size, batch, iters)})
        if cfg.get('encoder'):
            batch, iters = cfg['encoder']
            out['results'].append({'what': 'encoder_train', 'threads': threads, 'batch': batch, 'sequences_per_s': encoder_train(batch, iters)})
        for spec, iters in cfg.get('mcm', []):
            visible = spec['windows'] * (spec['window'] ** 2 - spec['masked_per_window'])
            rate, params = mcm_step(spec, iters)
            out['results'].append({'what': 'mcm_step', 'key': spec.get('key'), 'threads': threads, 'student': spec['student'], 'size': spec['patch'],
                                   'windows': spec['windows'], 'visible': visible, 'visible_patches_per_s': rate, 'parameters': params})
        for r in out['results']:
            r.setdefault('peak_rss_mib', peak_rss_mib())
    print(json.dumps(out))


if __name__ == '__main__':
    main()
