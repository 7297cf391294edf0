namespace TypedGraph.Sample.FineTune;

/// <summary>The rendered 2-class data set: class 0 = digit "0", class 1 = digit "1" or "7".</summary>
public sealed class Dataset
{
    private Dataset(float[] trainX, float[] trainY, float[] testX, float[] testY)
    {
        (TrainX, TrainY, TestX, TestY) = (trainX, trainY, testX, testY);
    }

    /// <summary>Training images, 784 floats each.</summary>
    public float[] TrainX { get; }

    /// <summary>Training labels, one-hot pairs.</summary>
    public float[] TrainY { get; }

    /// <summary>Test images.</summary>
    public float[] TestX { get; }

    /// <summary>Test labels, one-hot pairs.</summary>
    public float[] TestY { get; }

    /// <summary>Number of training images.</summary>
    public int TrainCount => TrainY.Length / 2;

    /// <summary>Number of test images.</summary>
    public int TestCount => TestY.Length / 2;

    /// <summary>240 training and 60 test images, classes balanced, in a seeded random order.</summary>
    public static Dataset Make(int seed, int train = 240, int test = 60)
    {
        var rng = new Random(seed);
        (float[] X, float[] Y) Take(int n)
        {
            var x = new float[n * 784];
            var y = new float[n * 2];
            for (int i = 0; i < n; i++)
            {
                int cls = rng.Next(2);
                int digit = cls == 0 ? 0 : rng.Next(2) == 0 ? 1 : 7;
                DigitRenderer.Render(digit, rng).CopyTo(x, i * 784);
                y[i * 2 + cls] = 1;
            }
            return (x, y);
        }
        var (trX, trY) = Take(train);
        var (teX, teY) = Take(test);
        return new Dataset(trX, trY, teX, teY);
    }

    /// <summary>Mini-batches of the training set as (images [b, 784], labels [b, 2]).</summary>
    public IEnumerable<(Tensor X, Tensor Y)> Batches(int size)
    {
        for (int start = 0; start < TrainCount; start += size)
        {
            int n = Math.Min(size, TrainCount - start);
            yield return (Tensor.Create(TrainX.AsSpan(start * 784, n * 784), n, 784), Tensor.Create(TrainY.AsSpan(start * 2, n * 2), n, 2));
        }
    }
}
