using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Linalg;

/// <summary>
/// The diagonal-band family of <c>tensorflow/core/kernels/linalg/matrix_diag_op.cc</c>,
/// <c>matrix_set_diag_op.cc</c>, <c>matrix_band_part_op.cc</c> and <c>diag_op.cc</c>: <c>MatrixDiag</c>,
/// <c>MatrixDiagPart</c> and <c>MatrixSetDiag</c> (V1: main diagonal; V2: a band <c>k = [lo, hi]</c> with
/// <c>num_rows</c>/<c>num_cols</c>/padding, every diagonal left-aligned; V3: V2 plus the <c>align</c> attr, default
/// RIGHT_LEFT), <c>MatrixBandPart</c>, and the rank-2k <c>Diag</c>/<c>DiagPart</c>. Every dtype (elements are moved,
/// never interpreted). Diagonal d holds the elements (i, i + d); a band input/output is ordered from diagonal hi down
/// to lo, each of length <c>max_diag_len</c>, shorter diagonals padded on the side <c>align</c> says (TF's
/// <c>ComputeDiagLenAndContentOffset</c>).
/// </summary>
internal sealed class MatrixDiagKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        foreach (var (op, version) in new[] { ("MatrixDiag", 1), ("MatrixDiagV2", 2), ("MatrixDiagV3", 3) })
            registry.Add(op, n => new Exec.DelegateKernel(n, ctx => MatrixDiag(ctx, version, Alignment.Of(n))));
        foreach (var (op, version) in new[] { ("MatrixDiagPart", 1), ("MatrixDiagPartV2", 2), ("MatrixDiagPartV3", 3) })
            registry.Add(op, n => new Exec.DelegateKernel(n, ctx => MatrixDiagPart(ctx, version, Alignment.Of(n))));
        foreach (var (op, version) in new[] { ("MatrixSetDiag", 1), ("MatrixSetDiagV2", 2), ("MatrixSetDiagV3", 3) })
            registry.Add(op, n => new Exec.DelegateKernel(n, ctx => MatrixSetDiag(ctx, version, Alignment.Of(n))));
        registry.Add("MatrixBandPart", n => new Exec.DelegateKernel(n, MatrixBandPart));
        registry.Add("Diag", n => new Exec.DelegateKernel(n, Diag));
        registry.Add("DiagPart", n => new Exec.DelegateKernel(n, DiagPart));
    }

    /// <summary>Which side short super- and sub-diagonals are packed against (TF's <c>ReadAlignment</c>; V1/V2 ops,
    /// which have no <c>align</c> attr, pack both on the left).</summary>
    internal readonly record struct Alignment(bool LeftSuper, bool LeftSub)
    {
        public static Alignment Of(Node node)
        {
            if (!node.HasAttr("align")) return new(true, true);
            var align = node.GetString("align");
            if (align is not ("LEFT_LEFT" or "LEFT_RIGHT" or "RIGHT_LEFT" or "RIGHT_RIGHT"))
                throw KernelAttrs.Err(node, $"align must be one of LEFT_LEFT, LEFT_RIGHT, RIGHT_LEFT, RIGHT_RIGHT, got '{align}'.");
            return new(align is "LEFT_LEFT" or "LEFT_RIGHT", align is "LEFT_LEFT" or "RIGHT_LEFT");
        }

        /// <summary>The length of diagonal <paramref name="d"/> and where its first element sits in its packed row.</summary>
        public (int Length, int Offset) Place(int d, int maxDiagLen, int rows, int cols)
        {
            bool left = (d >= 0 && LeftSuper) || (d <= 0 && LeftSub);
            int len = Math.Min(rows + Math.Min(0, d), cols - Math.Max(0, d));
            return (len, left ? 0 : maxDiagLen - len);
        }
    }

    /// <summary>Reads <c>k</c> (a scalar or a 1- or 2-element vector) as (lo, hi), with TF's messages.</summary>
    private static (int Lo, int Hi) ReadK(OpKernelContext ctx, int input)
    {
        var k = ctx.Input(input);
        if (k.Shape.Rank > 1) throw ctx.Error($"diag_index must be a scalar or vector, received shape: {k.Shape}");
        if (k.Shape.Rank == 1 && k.Shape[0] is < 1 or > 2) throw ctx.Error($"diag_index must have only one or two elements, received {k.Shape[0]} elements.");
        var v = Exec.IndexValues.Read(ctx, input, "k");
        int lo = checked((int)v[0]), hi = v.Length > 1 ? checked((int)v[1]) : lo;
        if (lo > hi) throw ctx.Error($"lower_diag_index must not be larger than upper_diag_index: {lo} > {hi}");
        return (lo, hi);
    }

    private static Tensor Padding(OpKernelContext ctx, int input, DataType dtype)
    {
        var p = ctx.Input(input);
        if (p.NumElements < 1) throw ctx.Error($"padding_value must hold one value, got shape {p.Shape}.");
        if (p.DType != dtype) throw ctx.Error($"padding_value has dtype {DataTypes.Name(p.DType)}, expected {DataTypes.Name(dtype)}.");
        return p;
    }

    private static void MatrixDiag(OpKernelContext ctx, int version, Alignment align)
    {
        var diag = ctx.Input(0);
        int lo = 0, hi = 0, rows = -1, cols = -1;
        Tensor pad;
        if (version >= 2)
        {
            (lo, hi) = ReadK(ctx, 1);
            rows = checked((int)Exec.IndexValues.Scalar(ctx, 2, "num_rows"));
            cols = checked((int)Exec.IndexValues.Scalar(ctx, 3, "num_cols"));
            pad = Padding(ctx, 4, diag.DType);
        }
        else pad = Tensor.Zeros(diag.DType, TensorShape.Scalar);
        int rank = diag.Shape.Rank;
        if (rank < 1) throw ctx.Error($"diagonal must be at least 1-dim, received shape: {diag.Shape}");
        int numDiags = hi - lo + 1;
        if (lo != hi && (rank < 2 || diag.Shape[rank - 2] != numDiags))
            throw ctx.Error("The number of diagonals provided in the input does not match the lower_diag_index and upper_diag_index range.");
        int maxDiagLen = diag.Shape[rank - 1];
        int minRows = maxDiagLen - Math.Min(hi, 0), minCols = maxDiagLen + Math.Max(lo, 0);
        if (rows != -1 && rows < minRows) throw ctx.Error("The number of rows is too small.");
        if (cols != -1 && cols < minCols) throw ctx.Error("The number of columns is too small.");
        if (rows == -1 && cols == -1) rows = cols = Math.Max(minRows, minCols);
        else if (rows == -1) rows = minRows;
        else if (cols == -1) cols = minCols;
        if (rows != minRows && cols != minCols)
            throw ctx.Error("The number of rows or columns is not consistent with the specified d_lower, d_upper, and diagonal.");
        var dims = diag.Shape.ToArray().ToList();
        if (numDiags == 1) { dims[rank - 1] = rows; dims.Add(cols); }
        else { dims[rank - 2] = rows; dims[rank - 1] = cols; }
        var output = ctx.AllocateOutput(0, diag.DType, new TensorShape([.. dims]));
        long batches = rows == 0 || cols == 0 ? 0 : output.NumElements / ((long)rows * cols);
        long diagPerBatch = (long)numDiags * maxDiagLen;
        for (long b = 0; b < batches; b++)
        {
            long outBase = b * rows * cols, diagBase = b * diagPerBatch;
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                {
                    int d = j - i;
                    long at = outBase + (long)i * cols + j;
                    if (d < lo || d > hi) { Elements.Copy(pad, 0, output, at, 1); continue; }
                    var (_, offset) = align.Place(d, maxDiagLen, rows, cols);
                    int index = j - Math.Max(d, 0) + offset;
                    // A diagonal longer than its packed row (num_rows/num_cols past the minimum) has no value there.
                    if (index < 0 || index >= maxDiagLen) Elements.Copy(pad, 0, output, at, 1);
                    else Elements.Copy(diag, diagBase + (long)(hi - d) * maxDiagLen + index, output, at, 1);
                }
        }
    }

    /// <summary>Validates <c>k</c> against a [rows, cols] matrix as TF's MatrixDiagPartOp / MatrixSetDiagOp do.</summary>
    private static void CheckBand(OpKernelContext ctx, int lo, int hi, int rows, int cols)
    {
        if (!((-rows < lo && lo < cols) || lo == 0))
            throw ctx.Error($"lower_diag_index is out of bound: {lo}. It must be between {-rows} and {cols}");
        if (!((-rows < hi && hi < cols) || hi == 0))
            throw ctx.Error($"upper_diag_index is out of bound: {hi} It must be between {-rows} and {cols}");
    }

    private static void MatrixDiagPart(OpKernelContext ctx, int version, Alignment align)
    {
        var input = ctx.Input(0);
        int lo = 0, hi = 0;
        Tensor pad;
        if (version >= 2)
        {
            (lo, hi) = ReadK(ctx, 1);
            pad = Padding(ctx, 2, input.DType);
        }
        else pad = Tensor.Zeros(input.DType, TensorShape.Scalar);
        int rank = input.Shape.Rank;
        if (rank < 2) throw ctx.Error($"input must be at least 2-dim, received shape: {input.Shape}");
        int rows = input.Shape[rank - 2], cols = input.Shape[rank - 1];
        CheckBand(ctx, lo, hi, rows, cols);
        int numDiags = hi - lo + 1;
        int maxDiagLen = Math.Min(rows + Math.Min(hi, 0), cols - Math.Max(lo, 0));
        var dims = input.Shape.ToArray()[..(rank - 2)].ToList();
        if (numDiags > 1) dims.Add(numDiags);
        dims.Add(maxDiagLen);
        var output = ctx.AllocateOutput(0, input.DType, new TensorShape([.. dims]));
        long batches = 1;
        for (int i = 0; i < rank - 2; i++) batches *= input.Shape[i];
        for (long b = 0; b < batches; b++)
        {
            long inBase = b * rows * cols;
            for (int m = 0; m < numDiags; m++)
            {
                int d = hi - m;
                long outBase = (b * numDiags + m) * maxDiagLen;
                var (len, offset) = align.Place(d, maxDiagLen, rows, cols);
                int y = Math.Max(0, -d), x = Math.Max(0, d);
                for (int n = 0; n < maxDiagLen; n++)
                {
                    int k = n - offset;
                    if (k >= 0 && k < len) Elements.Copy(input, inBase + (long)(k + y) * cols + k + x, output, outBase + n, 1);
                    else Elements.Copy(pad, 0, output, outBase + n, 1);
                }
            }
        }
    }

    private static void MatrixSetDiag(OpKernelContext ctx, int version, Alignment align)
    {
        var input = ctx.Input(0);
        var diag = ctx.Input(1);
        int lo = 0, hi = 0;
        if (version >= 2) (lo, hi) = ReadK(ctx, 2);
        int rank = input.Shape.Rank;
        if (rank < 2) throw ctx.Error($"input must be at least a matrix, received shape: {input.Shape}");
        if (diag.DType != input.DType) throw ctx.Error($"diagonal has dtype {DataTypes.Name(diag.DType)}, input {DataTypes.Name(input.DType)}.");
        int rows = input.Shape[rank - 2], cols = input.Shape[rank - 1];
        CheckBand(ctx, lo, hi, rows, cols);
        int numDiags = hi - lo + 1;
        int maxDiagLen = Math.Min(rows + Math.Min(hi, 0), cols - Math.Max(lo, 0));
        var expected = input.Shape.ToArray()[..(rank - 2)].ToList();
        if (numDiags > 1) expected.Add(numDiags);
        expected.Add(maxDiagLen);
        if (diag.Shape != new TensorShape([.. expected]))
            throw ctx.Error($"diagonal must have shape {new TensorShape([.. expected])} for input of shape {input.Shape} and k = [{lo}, {hi}], received shape: {diag.Shape}");
        var output = ctx.AllocateOutput(0, input.DType, input.Shape);
        Elements.Copy(input, 0, output, 0, input.NumElements);
        long batches = input.NumElements == 0 ? 0 : input.NumElements / ((long)rows * cols);
        for (long b = 0; b < batches; b++)
        {
            long outBase = b * rows * cols;
            for (int m = 0; m < numDiags; m++)
            {
                int d = hi - m;
                long diagBase = (b * numDiags + m) * maxDiagLen;
                var (len, offset) = align.Place(d, maxDiagLen, rows, cols);
                int y = Math.Max(0, -d), x = Math.Max(0, d);
                for (int n = 0; n < len; n++)
                    Elements.Copy(diag, diagBase + offset + n, output, outBase + (long)(n + y) * cols + n + x, 1);
            }
        }
    }

    private static void MatrixBandPart(OpKernelContext ctx)
    {
        var input = ctx.Input(0);
        int rank = input.Shape.Rank;
        if (rank < 2) throw ctx.Error($"input must be at least 2-dim, received shape: {input.Shape}");
        if (ctx.Input(1).Shape.Rank != 0) throw ctx.Error($"num_lower must be scalar, got shape {ctx.Input(1).Shape}");
        if (ctx.Input(2).Shape.Rank != 0) throw ctx.Error($"num_upper must be scalar, got shape {ctx.Input(2).Shape}");
        long lower = Exec.IndexValues.Scalar(ctx, 1, "num_lower"), upper = Exec.IndexValues.Scalar(ctx, 2, "num_upper");
        int rows = input.Shape[rank - 2], cols = input.Shape[rank - 1];
        if (lower > rows) throw ctx.Error($"num_lower must be negative or less or equal to number of rows ({rows}) got: {lower}");
        if (upper > cols) throw ctx.Error($"num_upper must be negative or less or equal to number of columns ({cols}) got: {upper}");
        var output = ctx.AllocateOutput(0, input.DType, input.Shape);
        var zero = Tensor.Zeros(input.DType, TensorShape.Scalar);
        long batches = input.NumElements == 0 ? 0 : input.NumElements / ((long)rows * cols);
        for (long b = 0; b < batches; b++)
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                {
                    long at = (b * rows + i) * cols + j;
                    bool keep = (lower < 0 || i - j <= lower) && (upper < 0 || j - i <= upper);
                    if (keep) Elements.Copy(input, at, output, at, 1);
                    else Elements.Copy(zero, 0, output, at, 1);
                }
    }

    private static void Diag(OpKernelContext ctx)
    {
        var diag = ctx.Input(0);
        if (diag.Shape.Rank < 1) throw ctx.Error($"Input must be at least rank 1, got {diag.Shape.Rank}");
        var dims = diag.Shape.ToArray();
        var output = ctx.AllocateOutput(0, diag.DType, new TensorShape([.. dims, .. dims]));
        long n = diag.NumElements;
        if (DataTypes.BaseType(diag.DType) != DataType.DtString) output.Bytes.Clear();
        for (long i = 0; i < n; i++) Elements.Copy(diag, i, output, i * n + i, 1);
    }

    private static void DiagPart(OpKernelContext ctx)
    {
        var input = ctx.Input(0);
        int rank = input.Shape.Rank;
        if (rank == 0 || rank % 2 != 0) throw ctx.Error($"The rank of the tensor should be even and positive, got shape {input.Shape}");
        int half = rank / 2;
        for (int i = 0; i < half; i++)
            if (input.Shape[i] != input.Shape[i + half])
                throw ctx.Error($"Invalid shape {input.Shape}: dimensions {i} and {i + half} do not match.");
        var output = ctx.AllocateOutput(0, input.DType, new TensorShape(input.Shape.ToArray()[..half]));
        long n = output.NumElements;
        for (long i = 0; i < n; i++) Elements.Copy(input, i * n + i, output, i, 1);
    }
}
