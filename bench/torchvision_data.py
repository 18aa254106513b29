#!/usr/bin/env python3
"""The torchvision peer of `setformer bench data` (src/setformer/bench/data_bench.h).

What a PyTorch user would otherwise run to feed a model from an image folder: torchvision's
ImageFolder (PIL decoding) with RandomResizedCrop, a horizontal flip, RandAugment, ToTensor and
Normalize, batched by a DataLoader with `--workers` worker processes. RandAugment takes timm's
structure (two layers, each applied with probability 1/2, as in `rand-m9-mstd0.5`) through two
RandomApply(RandAugment(num_ops=1)). Prints one JSON line: the images per second over `--batches`
batches after an untimed first one (which pays for starting the workers).

    /usr/bin/python3 bench/torchvision_data.py --root DIR/train --workers 2
"""
import argparse
import json
import time

import torch
import torchvision
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision import transforms as T


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="ImageFolder root: ROOT/<class>/<image>")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--magnitude", type=float, default=9)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rand_augment = T.RandAugment(num_ops=1, magnitude=int(args.magnitude))
    transform = T.Compose([
        T.RandomResizedCrop(args.size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)),
        T.RandomHorizontalFlip(),
        T.RandomApply([rand_augment], p=0.5),
        T.RandomApply([rand_augment], p=0.5),
        T.ToTensor(),
        T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    ])
    dataset = datasets.ImageFolder(args.root, transform=transform)
    generator = torch.Generator()
    generator.manual_seed(args.seed)
    loader = DataLoader(dataset, batch_size=args.batch, shuffle=True, drop_last=True,
                        num_workers=args.workers, generator=generator,
                        prefetch_factor=2 if args.workers > 0 else None)
    batches = iter(loader)
    next(batches)  # starts the workers: untimed
    start = time.perf_counter()
    for _ in range(args.batches):
        next(batches)
    seconds = time.perf_counter() - start
    print(json.dumps({"images_per_second": args.batches * args.batch / seconds,
                      "torch": torch.__version__, "torchvision": torchvision.__version__}))


if __name__ == "__main__":
    main()
