namespace TypedGraph.Kernels.NN;

/// <summary>A compile-time integer for kernel tile specializations: a struct type argument whose <c>Value</c> the JIT folds,
/// so a tile written once with <c>if (T.Value &gt; k)</c> guards compiles to a body with exactly the accumulators it uses.</summary>
internal interface IConstInt
{
    static abstract int Value { get; }
}

internal readonly struct C0 : IConstInt { public static int Value => 0; }
internal readonly struct C1 : IConstInt { public static int Value => 1; }
internal readonly struct C2 : IConstInt { public static int Value => 2; }
internal readonly struct C3 : IConstInt { public static int Value => 3; }
internal readonly struct C4 : IConstInt { public static int Value => 4; }
internal readonly struct C5 : IConstInt { public static int Value => 5; }
internal readonly struct C6 : IConstInt { public static int Value => 6; }
internal readonly struct C7 : IConstInt { public static int Value => 7; }
internal readonly struct C8 : IConstInt { public static int Value => 8; }
internal readonly struct C9 : IConstInt { public static int Value => 9; }
internal readonly struct C10 : IConstInt { public static int Value => 10; }
internal readonly struct C11 : IConstInt { public static int Value => 11; }
internal readonly struct C12 : IConstInt { public static int Value => 12; }
internal readonly struct C13 : IConstInt { public static int Value => 13; }
internal readonly struct C14 : IConstInt { public static int Value => 14; }
internal readonly struct C15 : IConstInt { public static int Value => 15; }
internal readonly struct C16 : IConstInt { public static int Value => 16; }
