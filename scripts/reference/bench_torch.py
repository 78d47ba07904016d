"""PyTorch anchor for Tessera's ML bench (src-main/bench/ml.ts): same workloads as tfjs, JSON on stdout.

Usage: /usr/bin/python3 scripts/reference/bench_torch.py '{"threads":[1,2],"resnet":[[224,32,2]],"fwd":[[224,32,2]],"encoder":[32,2]}'
  resnet: [size, batch, timed iterations] train steps (L1 to a random 512-d target + Adam), fwd: eval forward,
  encoder: [batch, iterations] 2-layer pre-LN encoder d=256, 4 heads, FFN 1024, seq 64, L1 + Adam.
One warm-up iteration before timing. Threads via torch.set_num_threads.
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torchvision


def timed(fn, iters):
    fn()
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
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


def main():
    cfg = json.loads(sys.argv[1])
    out = {'torch': torch.__version__, 'torchvision': torchvision.__version__, 'results': []}
    for threads in cfg.get('threads', [1, 2]):
        torch.set_num_threads(threads)
        for size, batch, iters in cfg.get('resnet', []):
            out['results'].append({'what': 'resnet18_train', 'threads': threads, 'size': size, 'batch': batch, 'images_per_s': resnet_train(size, batch, iters)})
        for size, batch, iters in cfg.get('fwd', []):
            out['results'].append({'what': 'resnet18_forward', 'threads': threads, 'size': size, 'batch': batch, 'images_per_s': resnet_fwd(size, batch, iters)})
        if cfg.get('encoder'):
            batch, iters = cfg['encoder']
            out['results'].append({'what': 'encoder_train', 'threads': threads, 'batch': batch, 'sequences_per_s': encoder_train(batch, iters)})
    print(json.dumps(out))


if __name__ == '__main__':
    main()
