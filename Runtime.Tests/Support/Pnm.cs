namespace TypedGraph.Tests.Support;

/// <summary>Reads binary PGM (P5) / PPM (P6) files with 8-bit samples, as libjpeg-turbo's <c>djpeg</c> writes them.</summary>
internal static class Pnm
{
    /// <summary>Height, width, channels (1 for P5, 3 for P6) and the interleaved samples.</summary>
    public static (int H, int W, int C, byte[] Pixels) Parse(byte[] file)
    {
        int at = 0;
        string Token()
        {
            while (char.IsWhiteSpace((char)file[at])) at++;
            int s = at;
            while (!char.IsWhiteSpace((char)file[at])) at++;
            return System.Text.Encoding.ASCII.GetString(file, s, at - s);
        }
        string magic = Token();
        int w = int.Parse(Token()), h = int.Parse(Token());
        Token(); // maxval (255)
        at++;
        int c = magic == "P6" ? 3 : 1;
        return (h, w, c, file[at..(at + h * w * c)]);
    }
}
