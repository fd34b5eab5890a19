from .fashion_pairs import EdgesToFashionDataModule, SneakerToBootDataModule, edge_map
from .images import (
    IMAGE_DATAMODULES,
    CelebADataModule,
    CIFAR10DataModule,
    FashionMNISTDataModule,
    ImageDataModule,
    ImageFolderDataModule,
    MNISTDataModule,
    StackedFashionMNISTDataModule,
    image_datamodule,
)
from .pairs import PairedImageDataModule, TranslationDataModule, UnpairedImageDataModule
from .toy2d import DATASETS, Toy2DDataModule, ToySampler, line_samples, mode_centers, toy_samples

__all__ = [
    "DATASETS", "Toy2DDataModule", "ToySampler", "line_samples", "mode_centers", "toy_samples", "IMAGE_DATAMODULES",
    "CelebADataModule", "CIFAR10DataModule", "FashionMNISTDataModule", "ImageDataModule", "ImageFolderDataModule",
    "MNISTDataModule", "StackedFashionMNISTDataModule", "image_datamodule", "EdgesToFashionDataModule",
    "PairedImageDataModule", "SneakerToBootDataModule", "TranslationDataModule", "UnpairedImageDataModule", "edge_map",
]
