namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/spectral_ops.cc (TF ≥ 2.2: Tcomplex / Treal attrs).
public sealed partial class OpDefCatalog
{
    private const string ComplexFft = "(input: Tcomplex) -> (output: Tcomplex); Tcomplex: {complex64, complex128} = complex64";
    private const string RealFft = "(input: Treal, fft_length: int32) -> (output: Tcomplex); Treal: {float, double} = float; Tcomplex: {complex64, complex128} = complex64";
    private const string InverseRealFft = "(input: Tcomplex, fft_length: int32) -> (output: Treal); Treal: {float, double} = float; Tcomplex: {complex64, complex128} = complex64";

    private static readonly string[] SpectralSignatures =
    [
        "FFT" + ComplexFft, "IFFT" + ComplexFft, "FFT2D" + ComplexFft, "IFFT2D" + ComplexFft, "FFT3D" + ComplexFft, "IFFT3D" + ComplexFft,
        "RFFT" + RealFft, "RFFT2D" + RealFft, "RFFT3D" + RealFft,
        "IRFFT" + InverseRealFft, "IRFFT2D" + InverseRealFft, "IRFFT3D" + InverseRealFft,
    ];
}
