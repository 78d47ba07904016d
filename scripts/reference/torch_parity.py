"""Reference features for Tessera's PyTorch parity tests (run once with Debian's torch; outputs are committed).

Usage:  /usr/bin/python3 scripts/reference/torch_parity.py tests/fixtures/torch
Needs:  python3-torch 1.13 + python3-torchvision 0.14 (Debian 12), numpy. timm is not needed: the ViT-S below follows
        timm's VisionTransformer module layout and names (vit_small_patch16_224: dim 384, depth 12, 6 heads, qkv bias,
        LayerNorm eps 1e-6, exact GELU, CLS-token pooling after the final norm; head dropped).
Writes: resnet18_names.json  names/shapes of torchvision resnet18().state_dict() with fc replaced by Identity
        parity.json          features of formula weights (formula_weights.py) on a formula input, eval mode; plus
                             ResNet-18 train-mode features, running stats and gradients of sum(features * w).
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(__file__))
from formula_weights import formula_tensor, load_formula  # noqa: E402


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q @ k.transpose(-2, -1)) * (c // self.heads) ** -0.5
        x = (attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(x)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, dim * 4)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, dim, patch):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch, patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class VisionTransformer(nn.Module):
    def __init__(self, size=224, patch=16, dim=384, depth=12, heads=6):
        super().__init__()
        self.patch_embed = PatchEmbed(dim, patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, (size // patch) ** 2 + 1, dim))
        self.blocks = nn.Sequential(*[Block(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x):
        x = self.patch_embed(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        return self.norm(self.blocks(x))[:, 0]


def flat(t, limit=None):
    a = t.detach().double().flatten().tolist()
    return a if limit is None else a[:limit]


def main(out_dir):
    torch.set_num_threads(2)
    os.makedirs(out_dir, exist_ok=True)
    resnet = torchvision.models.resnet18()
    resnet.fc = nn.Identity()
    names = [{'name': k, 'shape': list(v.shape)} for k, v in resnet.state_dict().items()]
    with open(os.path.join(out_dir, 'resnet18_names.json'), 'w') as f:
        json.dump({'source': 'torchvision 0.14 resnet18() with fc = nn.Identity(), state_dict() order', 'tensors': names}, f, indent=0)

    x = torch.from_numpy(formula_tensor('input', (2, 3, 224, 224)))
    load_formula(resnet)
    resnet.eval()
    with torch.no_grad():
        r_eval = resnet(x)

    # train mode: batch statistics, running-stat update, and gradients of sum(features * w)
    resnet.train()
    w = torch.from_numpy(formula_tensor('loss_weight', (2, 512)))
    feats = resnet(x)
    (feats * w).sum().backward()
    grads = {k: flat(p.grad) for k, p in resnet.named_parameters() if k in ('bn1.weight', 'layer4.1.bn2.weight', 'layer1.0.conv1.weight')}
    grads['layer1.0.conv1.weight'] = grads['layer1.0.conv1.weight'][:512]
    stats = {k: flat(v) for k, v in resnet.state_dict().items() if k in ('bn1.running_mean', 'bn1.running_var', 'layer4.1.bn2.running_var')}

    vit = VisionTransformer()
    load_formula(vit)
    vit.eval()
    with torch.no_grad():
        v_eval = vit(x)

    out = {
        'produced_by': 'scripts/reference/torch_parity.py with torch %s, torchvision %s' % (torch.__version__, torchvision.__version__),
        'input': {'name': 'input', 'shape_nchw': [2, 3, 224, 224]},
        'resnet18_eval': flat(r_eval),
        'resnet18_train': flat(feats),
        'resnet18_train_running_stats': stats,
        'resnet18_train_grads': grads,
        'resnet18_train_grads_note': 'layer1.0.conv1.weight: first 512 values in torch OIHW order',
        'vit_small_eval': flat(v_eval),
        'vit_small_param_names': [{'name': k, 'shape': list(v.shape)} for k, v in vit.state_dict().items()],
    }
    with open(os.path.join(out_dir, 'parity.json'), 'w') as f:
        json.dump(out, f)
    print('resnet18 eval |max|', r_eval.abs().max().item(), 'vit |max|', v_eval.abs().max().item())


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'tests/fixtures/torch')
