"""Float64 truth for the ResNet-18 train-mode parity fixture (adds *_f64 fields to parity.json; float32 fields untouched).

Usage:  /usr/bin/python3 scripts/reference/torch_parity_f64.py tests/fixtures/torch
        /usr/bin/python3 scripts/reference/torch_parity_f64.py --kinks   (report only, writes nothing)
        /usr/bin/python3 scripts/reference/torch_parity_f64.py --other-inputs OUT.json   (the same step on formula inputs
        'input_b'..'input_e': float32 and float64 gradients to OUT.json for scripts/bn-parity.ts --other-inputs)
Same fixture as torch_parity.py (formula weights and input, which are float32 values, cast exactly to float64), but the
whole forward/backward in torch float64, so it is the reference both torch float32 and Tessera are measured against.
Also prints torch float32's own error against it (max |a-b| / max |b|, the parity test's metric) and checks that a
fresh float32 run reproduces the committed float32 fields.
"""
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
from formula_weights import formula_resnet18, formula_tensor  # noqa: E402

GRADS = ('bn1.weight', 'layer4.1.bn2.weight', 'layer1.0.conv1.weight')
STATS = ('bn1.running_mean', 'bn1.running_var', 'layer4.1.bn2.running_var')


def flat(t):
    return t.detach().double().flatten().tolist()


def train_step(dtype, bn_outputs=None, input_name='input'):
    resnet = formula_resnet18(dtype)
    if bn_outputs is not None:
        for name, m in resnet.named_modules():
            if isinstance(m, nn.BatchNorm2d):
                m.register_forward_hook(lambda m, i, o, name=name: bn_outputs.__setitem__(name, o.detach().clone()))
    x = torch.from_numpy(formula_tensor(input_name, (2, 3, 224, 224))).to(dtype)
    w = torch.from_numpy(formula_tensor('loss_weight', (2, 512))).to(dtype)
    feats = resnet(x)
    (feats * w).sum().backward()
    grads = {k: flat(p.grad) for k, p in resnet.named_parameters() if k in GRADS}
    grads['layer1.0.conv1.weight'] = grads['layer1.0.conv1.weight'][:512]
    stats = {k: flat(v) for k, v in resnet.state_dict().items() if k in STATS}
    return flat(feats), stats, grads


def rel_err(a, b):
    d = max(abs(x - y) for x, y in zip(a, b))
    return d / max(1e-12, max(abs(y) for y in b))


def kinks():
    """Per BatchNorm output: torch float32's error against float64 (max |a-b| / max |b| and max |a-b|), and how many
    float64 activations lie within 1e-5 of 0, where float32 noise can put them on either side of the following ReLU."""
    out32, out64 = {}, {}
    train_step(torch.float32, out32)
    train_step(torch.float64, out64)
    for k, t in out64.items():
        d = (out32[k].double() - t).abs().max().item()
        print('%-24s f32 err %.2e (abs %.2e)  |y64| < 1e-5: %d' % (k, d / t.abs().max().item(), d, (t.abs() < 1e-5).sum().item()))
    print('layer3.1.bn1[1,140,6,7]: f32 %.3e  f64 %.3e' % (out32['layer3.1.bn1'][1, 140, 6, 7].item(), out64['layer3.1.bn1'][1, 140, 6, 7].item()))


def other_inputs(path):
    """The fixture's step on four other formula inputs: is torch float32's closeness to float64 the rule or luck?"""
    out = {}
    for name in ('input_b', 'input_c', 'input_d', 'input_e'):
        g64 = train_step(torch.float64, input_name=name)[2]
        g32 = train_step(torch.float32, input_name=name)[2]
        out[name] = {'f64': g64, 'f32': g32}
        print(name, 'torch f32 vs f64:', ', '.join('%s %.2e' % (k, rel_err(g32[k], g64[k])) for k in GRADS))
    with open(path, 'w') as f:
        json.dump(out, f)


def main(out_dir):
    torch.set_num_threads(2)
    path = os.path.join(out_dir, 'parity.json')
    with open(path) as f:
        parity = json.load(f)
    feats64, stats64, grads64 = train_step(torch.float64)
    feats32, stats32, grads32 = train_step(torch.float32)
    rows = [('features', feats32, feats64, parity['resnet18_train'])]
    rows += [(k, stats32[k], stats64[k], parity['resnet18_train_running_stats'][k]) for k in STATS]
    rows += [(k, grads32[k], grads64[k], parity['resnet18_train_grads'][k]) for k in GRADS]
    print('%-26s %14s %14s' % ('tensor', 'f32 vs f64', 'fresh f32 vs fixture'))
    for name, a32, a64, fixture in rows:
        print('%-26s %14.3e %14.3e' % (name, rel_err(a32, a64), rel_err(a32, fixture)))
    parity['resnet18_train_f64'] = feats64
    parity['resnet18_train_running_stats_f64'] = stats64
    parity['resnet18_train_grads_f64'] = grads64
    parity['resnet18_train_f64_note'] = ('scripts/reference/torch_parity_f64.py: the same train step in torch float64 '
                                         '(float32 formula weights and input cast exactly), torch %s' % torch.__version__)
    with open(path, 'w') as f:
        json.dump(parity, f)


if __name__ == '__main__':
    torch.set_num_threads(2)
    if sys.argv[1:] == ['--kinks']:
        kinks()
    elif sys.argv[1:2] == ['--other-inputs']:
        other_inputs(sys.argv[2])
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else 'tests/fixtures/torch')
