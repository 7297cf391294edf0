namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/image_ops.cc (TF 2.x) for the image ops with kernels in Kernels/Image, so a
// serving graph (encoded bytes → DecodeJpeg → Cast → ResizeBilinear → model) can be built node by node.
public sealed partial class OpDefCatalog
{
    private static readonly string[] ImageSignatures =
    [
        "DecodeJpeg(contents: string) -> (image: uint8); channels: int = 0; ratio: int = 1; fancy_upscaling: bool = true; try_recover_truncated: bool = false; acceptable_fraction: float = 1; dct_method: string = ''",
        "DecodeAndCropJpeg(contents: string, crop_window: int32) -> (image: uint8); channels: int = 0; ratio: int = 1; fancy_upscaling: bool = true; try_recover_truncated: bool = false; acceptable_fraction: float = 1; dct_method: string = ''",
        "DecodePng(contents: string) -> (image: dtype); channels: int = 0; dtype: {uint8, uint16} = uint8",
        "DecodeImage(contents: string) -> (image: dtype); channels: int = 0; dtype: {uint8, uint16, float} = uint8; expand_animations: bool = true",
        "DecodeBmp(contents: string) -> (image: uint8); channels: int = 0",
        "DecodeGif(contents: string) -> (image: uint8)",
        "DecodeWebP(contents: string) -> (image: uint8); channels: int = 0",
        "EncodePng(image: T) -> (contents: string); compression: int = -1; T: {uint8, uint16} = uint8",
        "EncodeJpeg(image: uint8) -> (contents: string); format: string = ''; quality: int = 95; progressive: bool = false; optimize_size: bool = false; chroma_downsampling: bool = true; density_unit: string = 'in'; x_density: int = 300; y_density: int = 300; xmp_metadata: string = ''",
        "ResizeBilinear(images: T, size: int32) -> (resized_images: float); T: {int8, uint8, int16, uint16, int32, int64, bfloat16, half, float, double}; align_corners: bool = false; half_pixel_centers: bool = false",
        "ResizeBicubic(images: T, size: int32) -> (resized_images: float); T: {int8, uint8, int16, uint16, int32, int64, half, float, double}; align_corners: bool = false; half_pixel_centers: bool = false",
        "ResizeArea(images: T, size: int32) -> (resized_images: float); T: {int8, uint8, int16, uint16, int32, int64, half, float, double}; align_corners: bool = false",
        "ResizeNearestNeighbor(images: T, size: int32) -> (resized_images: T); T: {int8, uint8, int16, uint16, int32, int64, half, float, double, bfloat16}; align_corners: bool = false; half_pixel_centers: bool = false",
        "ResizeBilinearGrad(grads: float, original_image: T) -> (output: T); T: {float, bfloat16, half, double}; align_corners: bool = false; half_pixel_centers: bool = false",
        "ResizeBicubicGrad(grads: float, original_image: T) -> (output: T); T: {float, double}; align_corners: bool = false; half_pixel_centers: bool = false",
        "ResizeNearestNeighborGrad(grads: T, size: int32) -> (output: T); T: {uint8, int8, int32, half, float, double, bfloat16}; align_corners: bool = false; half_pixel_centers: bool = false",
        "CropAndResize(image: T, boxes: float, box_ind: int32, crop_size: int32) -> (crops: float); T: {uint8, uint16, int8, int16, int32, int64, half, float, double}; method: {'bilinear', 'nearest'} = 'bilinear'; extrapolation_value: float = 0",
        "CropAndResizeGradImage(grads: float, boxes: float, box_ind: int32, image_size: int32) -> (output: T); T: {float, half, double}; method: {'bilinear', 'nearest'} = 'bilinear'",
        "CropAndResizeGradBoxes(grads: float, image: T, boxes: float, box_ind: int32) -> (output: float); T: {uint8, uint16, int8, int16, int32, int64, half, float, double}; method: {'bilinear'} = 'bilinear'",
        "ExtractImagePatches(images: T) -> (patches: T); ksizes: list(int) >= 4; strides: list(int) >= 4; rates: list(int) >= 4; T: {bfloat16, half, float, double, int8, int16, int32, int64, uint8, uint16, uint32, uint64, complex64, complex128, bool}; padding: string",
        "RGBToHSV(images: T) -> (output: T); T: {half, bfloat16, float, double} = float",
        "HSVToRGB(images: T) -> (output: T); T: {half, bfloat16, float, double} = float",
        "AdjustContrastv2(images: T, contrast_factor: float) -> (output: T); T: {half, float} = float",
        "AdjustSaturation(images: T, scale: float) -> (output: T); T: {half, float} = float",
        "AdjustHue(images: T, delta: float) -> (output: T); T: {half, float} = float",
        "DrawBoundingBoxes(images: T, boxes: float) -> (output: T); T: {float, half} = float",
        "ScaleAndTranslate(images: T, size: int32, scale: float, translation: float) -> (resized_images: float); T: {int8, uint8, int16, uint16, int32, int64, bfloat16, half, float, double}; kernel_type: string = 'lanczos3'; antialias: bool = true",
        "ScaleAndTranslateGrad(grads: T, original_image: T, scale: float, translation: float) -> (output: T); T: {float}; kernel_type: string = 'lanczos3'; antialias: bool = true",
        "DrawBoundingBoxesV2(images: T, boxes: float, colors: float) -> (output: T); T: {float, half} = float",
    ];
}
