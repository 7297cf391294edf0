namespace TypedGraph.Sample.FineTune;

/// <summary>
/// Renders MNIST-like 28×28 digit images (white strokes on black, values in [0, 1], the digit inside the
/// central 20×20 box) from hand-made stroke paths, with random scale, slant, rotation, offset and stroke width,
/// so the fine-tuning demo has a data set it can reach offline.
/// </summary>
public static class DigitRenderer
{
    private static readonly Dictionary<int, (double X, double Y)[][]> s_strokes = new()
    {
        [0] = [Ellipse(0.5, 0.5, 0.28, 0.45, 28)],
        [1] = [[(0.5, 0.05), (0.5, 0.95)], [(0.33, 0.22), (0.5, 0.05)]],
        [7] = [[(0.18, 0.08), (0.82, 0.08), (0.42, 0.95)]],
    };

    /// <summary>The digits this renderer can draw.</summary>
    public static IReadOnlyCollection<int> Digits => s_strokes.Keys;

    /// <summary>One image of <paramref name="digit"/> as 784 floats, row-major.</summary>
    public static float[] Render(int digit, Random rng)
    {
        var img = new float[28 * 28];
        double scale = 0.85 + rng.NextDouble() * 0.3, angle = (rng.NextDouble() - 0.5) * 0.35, slant = (rng.NextDouble() - 0.5) * 0.3;
        double dx = (rng.NextDouble() - 0.5) * 3, dy = (rng.NextDouble() - 0.5) * 3, width = 1.0 + rng.NextDouble() * 0.9;
        (double X, double Y) Map((double X, double Y) p)
        {
            // Unit square → centred 20×20 box, then slant, rotate and shift.
            double x = (p.X - 0.5) * 20 * scale, y = (p.Y - 0.5) * 20 * scale;
            x += slant * y;
            double xr = x * Math.Cos(angle) - y * Math.Sin(angle), yr = x * Math.Sin(angle) + y * Math.Cos(angle);
            return (14 + xr + dx, 14 + yr + dy);
        }
        foreach (var stroke in s_strokes[digit])
            for (int k = 0; k + 1 < stroke.Length; k++)
                DrawSegment(img, Map(stroke[k]), Map(stroke[k + 1]), width);
        return img;
    }

    // Anti-aliased thick segment: intensity falls off linearly over one pixel beyond the half width.
    private static void DrawSegment(float[] img, (double X, double Y) a, (double X, double Y) b, double width)
    {
        for (int py = 0; py < 28; py++)
            for (int px = 0; px < 28; px++)
            {
                double d = DistanceToSegment(px + 0.5, py + 0.5, a, b);
                double v = Math.Clamp(width - d + 0.5, 0, 1);
                if (v > img[py * 28 + px]) img[py * 28 + px] = (float)v;
            }
    }

    private static double DistanceToSegment(double x, double y, (double X, double Y) a, (double X, double Y) b)
    {
        double vx = b.X - a.X, vy = b.Y - a.Y, len2 = vx * vx + vy * vy;
        double t = len2 == 0 ? 0 : Math.Clamp(((x - a.X) * vx + (y - a.Y) * vy) / len2, 0, 1);
        double cx = a.X + t * vx - x, cy = a.Y + t * vy - y;
        return Math.Sqrt(cx * cx + cy * cy);
    }

    private static (double, double)[] Ellipse(double cx, double cy, double rx, double ry, int n)
        => Enumerable.Range(0, n + 1).Select(i => (cx + rx * Math.Cos(2 * Math.PI * i / n), cy + ry * Math.Sin(2 * Math.PI * i / n))).ToArray();

    /// <summary>ASCII art of an image (for the console).</summary>
    public static string Ascii(float[] img)
    {
        var sb = new System.Text.StringBuilder();
        for (int y = 0; y < 28; y += 2)
        {
            for (int x = 0; x < 28; x++) sb.Append(" .:*#"[(int)Math.Min(4, img[y * 28 + x] * 4.99)]);
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
