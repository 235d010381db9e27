#!/usr/bin/env python3
"""Golden fixtures for the native CNN engine (Tests/Fixtures/nn/).

Builds a small SE-ResNet in PyTorch with the module tree of DESIGN.md, and records:
  init.<name>   the state_dict before training (PyTorch default initialisation, seed 0)
  input, labels a fixed batch (N=3, 1x32x48) and its class labels (I64)
  logits, loss  forward in train mode, cross-entropy with label_smoothing 0.1
  grad.<name>   every parameter's gradient after backward of that loss
  stats.<name>  running_mean / running_var / num_batches_tracked after that forward
  step3.<name>  the state_dict after 3 steps of AdamW(lr 1e-3, wd 1e-4) + OneCycleLR
                (max_lr 1e-3, total_steps 10), one forward/backward on the same batch each
  eval_logits   the model after 3 steps in eval mode
  soft_*        soft-target cross-entropy (label smoothing 0.1) on `logits`
Metadata: library versions, the config, the learning rates and beta1 OneCycle set, and the
parameter count of the full-size reference model.

Run: /work/venv-torch/bin/python tools/reference/nn.py [out_dir]
"""
import json
import os
import sys

import numpy
import safetensors
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file


class SE(nn.Module):
    def __init__(self, c, reduction):
        super().__init__()
        hidden = max(1, c // reduction)
        self.fc1 = nn.Linear(c, hidden)
        self.fc2 = nn.Linear(hidden, c)

    def forward(self, x):
        s = x.mean(dim=(2, 3))
        g = torch.sigmoid(self.fc2(F.relu(self.fc1(s))))
        return x * g[:, :, None, None]


class BasicBlock(nn.Module):
    def __init__(self, cin, c, stride, reduction):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.se = SE(c, reduction)
        self.downsample = None
        if stride != 1 or cin != c:
            self.downsample = nn.Sequential(nn.Conv2d(cin, c, 1, stride, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.se(self.bn2(self.conv2(h)))
        return F.relu(h + (self.downsample(x) if self.downsample is not None else x))


class SEResNet(nn.Module):
    def __init__(self, widths=(64, 128, 256, 512), blocks=(2, 2, 2, 2), reduction=16, classes=10, dropout=0.5, in_channels=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, widths[0], 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = widths[0]
        for i, (w, n) in enumerate(zip(widths, blocks)):
            layers = []
            for b in range(n):
                layers.append(BasicBlock(cin, w, 2 if i > 0 and b == 0 else 1, reduction))
                cin = w
            setattr(self, f"layer{i + 1}", nn.Sequential(*layers))
        self.stages = len(widths)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(self.stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(self.dropout(torch.flatten(self.avgpool(x), 1)))


def state(model, prefix):
    return {prefix + k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../Tests/Fixtures/nn")
    torch.manual_seed(0)
    torch.set_num_threads(1)
    config = dict(widths=[4, 8, 8, 16], blocks=[2, 1, 1, 1], reduction=4, classes=10, dropout=0.0, in_channels=1)
    model = SEResNet(**config)
    model.train()
    tensors = state(model, "init.")

    x = torch.randn(3, 1, 32, 48)
    y = torch.tensor([3, 0, 7])
    tensors["input"] = x
    tensors["labels"] = y.to(torch.int64)

    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=10)
    lrs, beta1s = [], []
    for step in range(3):
        opt.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, y, label_smoothing=0.1)
        loss.backward()
        if step == 0:
            tensors["logits"] = logits.detach().clone()
            tensors["loss"] = loss.detach().reshape(1).clone()
            for k, p in model.named_parameters():
                tensors["grad." + k] = p.grad.detach().clone()
            tensors.update({k: v for k, v in state(model, "stats.").items() if "running" in k or "num_batches" in k})
            soft = torch.softmax(torch.randn(3, 10), dim=1)
            sl = logits.detach().clone().requires_grad_(True)
            soft_loss = F.cross_entropy(sl, soft, label_smoothing=0.1)
            soft_loss.backward()
            tensors["soft_targets"] = soft
            tensors["soft_loss"] = soft_loss.detach().reshape(1)
            tensors["soft_dlogits"] = sl.grad.detach().clone()
        lrs.append(opt.param_groups[0]["lr"])
        beta1s.append(opt.param_groups[0]["betas"][0])
        opt.step()
        sched.step()
    tensors.update(state(model, "step3."))
    model.eval()
    with torch.no_grad():
        tensors["eval_logits"] = model(x)

    reference = SEResNet()
    metadata = {
        "generator": "tools/reference/nn.py",
        "torch": torch.__version__,
        "safetensors": safetensors.__version__,
        "numpy": numpy.__version__,
        "config": json.dumps(config),
        "label_smoothing": "0.1",
        "lrs": json.dumps(lrs),
        "beta1s": json.dumps(beta1s),
        "reference_parameter_count": str(sum(p.numel() for p in reference.parameters())),
    }
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "seresnet_small.safetensors")
    save_file({k: v.contiguous() for k, v in tensors.items()}, path, metadata=metadata)
    print(path, os.path.getsize(path), "bytes;", metadata)


if __name__ == "__main__":
    main()
