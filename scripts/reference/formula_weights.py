"""Deterministic "formula" weights shared with Tessera's TypeScript (tests/unit/ml/formula-weights.ts).

Every value is a pure function of the tensor's PyTorch name and its flat index in torch layout, using only 32-bit
integer hashing (FNV-1a of the name, murmur3 fmix32 of name-hash ^ index*golden), so Python and TypeScript produce
bit-identical float32 tensors without committing large weight files.
"""
import numpy as np

M32 = 0xFFFFFFFF


def fnv1a32(name: str) -> int:
    h = 0x811C9DC5
    for b in name.encode('utf-8'):
        h = ((h ^ b) * 0x01000193) & M32
    return h


def uniform01(name: str, n: int) -> np.ndarray:
    """n values in [0, 1) as float64, from the name hash and the flat index."""
    h = np.uint32(fnv1a32(name))
    i = np.arange(n, dtype=np.uint64)
    x = (h ^ ((i * np.uint64(0x9E3779B9)) & np.uint64(M32)).astype(np.uint32)).astype(np.uint64)
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x85EBCA6B)) & np.uint64(M32)
    x ^= x >> np.uint64(13)
    x = (x * np.uint64(0xC2B2AE35)) & np.uint64(M32)
    x ^= x >> np.uint64(16)
    return x.astype(np.float64) / 4294967296.0


def center_spread(name: str, shape) -> tuple:
    leaf = name.rsplit('.', 1)[-1]
    is_norm = any(part.startswith(('bn', 'norm')) for part in name.split('.')) or '.downsample.1.' in name
    if leaf == 'num_batches_tracked':
        return 0.0, 0.0
    if leaf == 'running_var':
        return 1.0, 0.5
    if leaf == 'running_mean' or leaf == 'bias':
        return 0.0, 0.1
    if leaf == 'weight' and is_norm:
        return 1.0, 0.2
    if name == 'input' or name.startswith('input.seed'):  # the parity inputs: uniform in [-1, 1)
        return 0.0, 1.0
    if name in ('cls_token', 'pos_embed'):
        return 0.0, 0.1
    fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
    return 0.0, float(np.sqrt(6.0 / fan_in))


def formula_tensor(name: str, shape) -> np.ndarray:
    n = int(np.prod(shape)) if len(shape) else 1
    c, s = center_spread(name, shape)
    return (c + s * (2.0 * uniform01(name, n) - 1.0)).astype(np.float32).reshape(shape)


def load_formula(model):
    """Load formula values into every state_dict tensor of a torch model (strict), each in its own dtype."""
    import torch
    sd = {k: torch.from_numpy(formula_tensor(k, tuple(v.shape))).to(v.dtype) for k, v in model.state_dict().items()}
    model.load_state_dict(sd, strict=True)


def formula_resnet18(dtype):
    """torchvision resnet18 with fc = Identity, in `dtype`, formula weights, train mode (the parity fixtures' model)."""
    import torch.nn as nn
    import torchvision
    resnet = torchvision.models.resnet18()
    resnet.fc = nn.Identity()
    resnet = resnet.to(dtype)
    load_formula(resnet)
    resnet.train()
    return resnet
