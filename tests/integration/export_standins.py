"""Stand-ins for the reference's model code (pytorchvideo's SlowFast and
MViT hub builders, Omnivore's torch hub entries), small enough to export
and run in the tests, with the same module names and entry points the
export tool uses. Shared by test_export.py's in-process fixture and by the
on-disk checkouts it writes for --source."""
from typing import List

import torch
from torch import nn


class StandInStems(nn.Module):
    """SlowFast's block 0 as pytorchvideo builds it (MultiPathWayWithFuse,
    inplace=True): each pathway's stem output is written back into the
    input list, so a caller that reuses the list feeds the next call
    4-channel tensors. The slow stem ends with a zero-initialised batch
    norm, as pytorchvideo's residual blocks do."""

    def __init__(self):
        super().__init__()
        self.shrink = nn.AdaptiveAvgPool3d((4, 8, 8))  # keeps it cheap
        self.slow = nn.Conv3d(3, 4, 3, padding=1)
        self.fast = nn.Conv3d(3, 4, 3, padding=1)
        self.slow_bn = nn.BatchNorm3d(4)
        nn.init.zeros_(self.slow_bn.weight)

    def forward(self, x: List[torch.Tensor]) -> List[torch.Tensor]:
        x[0] = self.slow(self.shrink(x[0])) + self.slow_bn(self.shrink(
            x[0]).repeat(1, 2, 1, 1, 1)[:, :4])
        x[1] = self.fast(self.shrink(x[1]))
        return x


class StandInPool(nn.Module):
    """SlowFast's blocks 1-5, collapsed: pooled pathways, concatenated:
    [B, 8, 1, 2, 2]."""

    def __init__(self):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool3d((1, 2, 2))

    def forward(self, x: List[torch.Tensor]) -> torch.Tensor:
        return torch.cat([self.pool(x[0]), self.pool(x[1])], 1)


class StandInHead(nn.Module):
    """pytorchvideo's ResNetBasicHead: proj over channels, activation,
    pool, flatten."""

    def __init__(self, channels, classes):
        super().__init__()
        self.proj = nn.Linear(channels, classes)
        self.activation = nn.Softmax(dim=1)

    def forward(self, x):
        x = self.proj(x.permute(0, 2, 3, 4, 1)).permute(0, 4, 1, 2, 3)
        if self.activation is not None:
            x = self.activation(x)
        return x.flatten(2).mean(2)


class StandInSlowFast(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([StandInStems(), StandInPool()] +
                                    [nn.Identity() for _ in range(4)] +
                                    [StandInHead(8, 400)])

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x


class StandInMViT(nn.Module):
    """Tokens [B, 5, 4] (a class token and 4 patches), then a head on the
    class token; 2-D input for the ImageNet variant."""

    def __init__(self, classes, image):
        super().__init__()
        self.image = image
        self.shrink = (nn.AdaptiveAvgPool2d((8, 8)) if image
                       else nn.AdaptiveAvgPool3d((4, 8, 8)))
        self.conv = (nn.Conv2d(3, 4, 3, padding=1) if image
                     else nn.Conv3d(3, 4, 3, padding=1))
        self.head = StandInTokenHead(classes)

    def forward(self, x):
        assert x.dim() == (4 if self.image else 5)
        y = torch.relu(self.conv(self.shrink(x))).flatten(2)  # [B, 4, N]
        tokens = torch.stack([y[:, :, i::4].mean(2) for i in range(4)], 1)
        x = torch.cat([tokens.mean(1, keepdim=True), tokens], 1)
        return self.head(x) if self.head is not None else x


class StandInTokenHead(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.proj = nn.Linear(4, classes)
        self.activation = nn.Softmax(dim=1)

    def forward(self, x):
        x = self.proj(x[:, 0])
        return self.activation(x) if self.activation is not None else x


class StandInOmnivore(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.AdaptiveAvgPool3d((1, 4, 4)),
                                   nn.Conv3d(3, 6, 1), nn.AdaptiveAvgPool3d(1),
                                   nn.Flatten())
        self.heads = nn.ModuleDict({"image": nn.Linear(6, 1000),
                                    "video": nn.Linear(6, 400),
                                    "rgbd": nn.Linear(6, 19)})

    def forward(self, images, input_type: str):
        return self.heads[input_type](self.trunk(images))
