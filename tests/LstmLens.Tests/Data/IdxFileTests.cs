using System.Buffers.Binary;
using System.IO.Compression;
using LstmLens.Data;

namespace LstmLens.Tests.Data;

public class IdxFileTests
{
    /// <summary>The bytes of an IDX file of unsigned bytes with the given dimensions.</summary>
    internal static byte[] Idx(int[] dimensions, byte[] elements)
    {
        var bytes = new byte[4 + 4 * dimensions.Length + elements.Length];
        bytes[2] = IdxFile.UnsignedByte;
        bytes[3] = (byte)dimensions.Length;
        for (int d = 0; d < dimensions.Length; d++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dimensions[d]);
        elements.CopyTo(bytes, 4 + 4 * dimensions.Length);
        return bytes;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var zip = new GZipStream(output, CompressionLevel.Fastest)) zip.Write(bytes);
        return output.ToArray();
    }

    [Fact]
    public void Reads_dimensions_and_elements_plain_and_gzipped()
    {
        using var dir = new TempDirectory();
        byte[] elements = [.. Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 10))];
        byte[] file = Idx([2, 3, 4], elements);
        foreach (var (name, bytes) in new[] { ("a-idx3-ubyte", file), ("a-idx3-ubyte.gz", Gzip(file)) })
        {
            string path = Path.Combine(dir.Path, name);
            File.WriteAllBytes(path, bytes);
            var array = IdxFile.Read(path);
            Assert.Equal([2, 3, 4], array.Dimensions);
            Assert.Equal(elements, array.Elements);
            Assert.Equal(2, array.Count);
            Assert.Equal(12, array.ItemSize);
        }
        Assert.Equal(1, IdxFile.Parse(Idx([5], new byte[5]), "labels").ItemSize);
    }

    public static TheoryData<string, byte[], string> BadFiles => new()
    {
        { "empty", [], "too short" },
        { "bad magic", [0x08, 0x08, 0x08, 0x01, 0, 0, 0, 0], "not an IDX file" },
        { "float elements", [0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0], "element type 0x0D is not supported" },
        { "no dimensions", [0, 0, 0x08, 0], "no dimensions" },
        { "truncated header", [0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0], "truncated header" },
        { "truncated data", Idx([2, 3], new byte[6])[..^1], "truncated: dimensions 2×3 need 6 data bytes, the file has 5" },
        { "trailing bytes", [.. Idx([2], new byte[2]), 7], "1 bytes after the 2 data bytes" },
        { "huge", Idx([int.MaxValue, int.MaxValue], []), "more elements than an array can" },
    };

    [Theory, MemberData(nameof(BadFiles))]
    public void Bad_files_get_one_clear_error_naming_the_file(string name, byte[] bytes, string problem)
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, name.Replace(' ', '-'));
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.StartsWith(path + ": ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_gzip_is_reported_as_a_bad_file()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "cut.gz");
        byte[] zipped = Gzip(Idx([100], [.. Enumerable.Range(0, 100).Select(i => (byte)i)]));
        File.WriteAllBytes(path, zipped[..(zipped.Length / 2)]);
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.StartsWith(path + ": ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_is_named()
    {
        var error = Assert.Throws<FileNotFoundException>(() => IdxFile.Read("/nonexistent/train-images-idx3-ubyte"));
        Assert.Contains("/nonexistent/train-images-idx3-ubyte", error.Message, StringComparison.Ordinal);
    }
}
