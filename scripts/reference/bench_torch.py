"""PyTorch anchor for Tessera's ML bench (src-main/bench/ml.ts): same workloads as tfjs, JSON on stdout.

Usage: /usr/bin/python3 scripts/reference/bench_torch.py '{"threads":[1,2],"resnet":[[224,32,2]],"fwd":[[224,32,2]],"encoder":[32,2]}'
  resnet: [size, batch, timed iterations] train steps (L1 to a random 512-d target + Adam), fwd: eval forward,
  encoder: [batch, iterations] 2-layer pre-LN encoder d=256, 4 heads, FFN 1024, seq 64, L1 + Adam.
  mcm: [[student, patch, windows, iterations, freeze_bn]] one MCM+KD step (see mcm_step), student 'resnet18' or 'smallcnn'.
units_per_cpu_s: images (or visible patches) per CPU-second of this process, all threads; Tessera's bench runs this
script with OMP_WAIT_POLICY=PASSIVE, as its own native kernels run, so idle OpenMP threads do not bill spinning.
Each result carries peak_rss_mib: this process's peak RSS so far (ru_maxrss; it only grows).
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


def mcm_step(student, patch, windows, iters, freeze_bn, teacher_dim=64):
    """One MCM+KD step as src-main/ml/mcm/step.ts: student on the visible patches (4x4 windows, 50 % masked), placement
    into the grid by a one-hot matmul, context predictor (2 pre-LN blocks, 2 heads, width = feature dim, MLP x2) with a
    mask token and positional embedding, linear head to the teacher dim, L1 on the masked cells, Adam on all."""
    if student == 'resnet18':
        s = torchvision.models.resnet18()
        s.fc = nn.Identity()
        dim = 512
    else:
        s = SmallCnn()
        dim = s.dim
    tokens, visible = 16, 8
    layer = nn.TransformerEncoderLayer(dim, 2, 2 * dim, dropout=0.0, activation='gelu', batch_first=True, norm_first=True)
    pred = nn.Sequential(nn.TransformerEncoder(layer, 2), nn.LayerNorm(dim), nn.Linear(dim, teacher_dim))
    mask_token, pos = nn.Parameter(torch.zeros(dim)), nn.Parameter(torch.zeros(tokens, dim))
    opt = torch.optim.Adam(list(s.parameters()) + list(pred.parameters()) + [mask_token, pos], 1e-4)
    n_vis = windows * visible
    x = torch.randn(n_vis, 3, patch, patch)
    place = torch.zeros(windows * tokens, n_vis)
    for w in range(windows):
        for v in range(visible):
            place[w * tokens + 2 * v, w * visible + v] = 1.0
    masked = (place.sum(1) == 0).float().reshape(windows, tokens, 1)
    target = torch.randn(windows, tokens, teacher_dim)
    s.train()
    if freeze_bn:
        for mod in s.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.eval()

    def step():
        opt.zero_grad()
        f = s(x)
        t = (place @ f).reshape(windows, tokens, dim)
        t = t * (1 - masked) + mask_token * masked + pos
        loss = ((pred(t) - target).abs().mean(2, keepdim=True) * masked).sum() / masked.sum()
        loss.backward()
        opt.step()
    return n_vis / timed(step, iters)


def peak_rss_mib():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main():
    cfg = json.loads(sys.argv[1])
    out = {'torch': torch.__version__, 'torchvision': torchvision.__version__, 'results': []}
    results = out['results']

    class Recorder(list):
        def append(self, r):
            # work per CPU-second (all threads): less sensitive to other load on the machine than wall-clock rates
            units = r.get('batch') or (r.get('windows', 0) * 8)
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
        for student, patch, windows, iters, freeze_bn in cfg.get('mcm', []):
            out['results'].append({'what': 'mcm_step', 'threads': threads, 'student': student, 'size': patch, 'windows': windows,
                                   'visible_patches_per_s': mcm_step(student, patch, windows, iters, freeze_bn)})
        for r in out['results']:
            r.setdefault('peak_rss_mib', peak_rss_mib())
    print(json.dumps(out))


if __name__ == '__main__':
    main()
