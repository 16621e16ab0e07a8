"""The network, batch and optimizer of bench/conv_step_model.h on the PyTorch side (NCHW, as PyTorch
users write it): 3 x (Conv2d(32, 3 x 3, padding 1) + normalization + ReLU), global average pooling,
Linear(10); F.cross_entropy on the logits; SGD(0.01, momentum 0.9)."""
import torch
import torch.nn.functional as F
from torch import nn

BATCH, SIDE, FILTERS, LAYERS, CLASSES = 64, 28, 32, 3, 10


def batch():
    # The formula bench/conv_step_model.h uses, so both sides train on the same numbers.
    i = torch.arange(BATCH).unsqueeze(1)
    j = torch.arange(SIDE * SIDE).unsqueeze(0)
    images = (((i * 7 + j * 13) % 256).to(torch.float32) / 255.0).reshape(BATCH, 1, SIDE, SIDE)
    labels = torch.arange(BATCH) % CLASSES
    return images, labels


def model(norm):
    """norm: "batch_norm" (BatchNorm2d) or "group_norm" (GroupNorm, 8 groups); epsilon 1e-3 as Keras's."""
    layers, channels = [], 1
    for _ in range(LAYERS):
        layers.append(nn.Conv2d(channels, FILTERS, 3, padding=1))
        layers.append(nn.BatchNorm2d(FILTERS, eps=1e-3, momentum=0.01) if norm == "batch_norm"
                      else nn.GroupNorm(8, FILTERS, eps=1e-3))
        layers.append(nn.ReLU())
        channels = FILTERS
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(FILTERS, CLASSES)]
    return nn.Sequential(*layers)


def step_function(norm):
    """A closure that runs one training step (forward, loss, backward, update) and returns the loss."""
    torch.manual_seed(0)
    net = model(norm).train()
    images, labels = batch()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(images), labels)
        loss.backward()
        optimizer.step()
        return loss
    return step
