// Reader for IDX files, the format of MNIST and Fashion-MNIST: a big-endian header (two zero bytes,
// element type, number of dimensions, each dimension as a 32-bit integer) followed by the elements in
// row-major order. Gzip-compressed files (as Debian's dataset-fashion-mnist ships them) are read
// transparently. Only unsigned bytes (type 0x08) are supported: that is all the image data sets use.
// Errors name the file and say what is wrong. Not a writer.
using System.Buffers.Binary;
using System.IO.Compression;

namespace LstmLens.Data;

/// <summary>An IDX array: its dimensions and its unsigned-byte elements in row-major order.</summary>
public sealed record IdxArray(int[] Dimensions, byte[] Elements)
{
    /// <summary>Number of items along the first dimension (images, labels).</summary>
    public int Count => Dimensions[0];

    /// <summary>Elements per item (product of the other dimensions; 1 for a vector).</summary>
    public int ItemSize => Dimensions.Skip(1).Aggregate(1, (product, size) => product * size);
}

/// <summary>Reads IDX files.</summary>
public static class IdxFile
{
    /// <summary>The element type code of unsigned bytes.</summary>
    public const byte UnsignedByte = 0x08;

    /// <summary>Reads <paramref name="path"/> (gzip-compressed or not).</summary>
    public static IdxArray Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes is [0x1F, 0x8B, ..]) bytes = Gunzip(bytes, path);
        return Parse(bytes, path);
    }

    /// <summary>Parses the bytes of an IDX file; <paramref name="name"/> is used in error messages.</summary>
    public static IdxArray Parse(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length < 4) throw Bad(name, $"{bytes.Length} bytes is too short for the 4-byte IDX magic number");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw Bad(name, $"magic number starts 0x{bytes[0]:X2} 0x{bytes[1]:X2}, not 0x00 0x00: not an IDX file");
        if (bytes[2] != UnsignedByte)
            throw Bad(name, $"element type 0x{bytes[2]:X2} is not supported (only 0x08, unsigned byte)");
        int rank = bytes[3];
        if (rank == 0) throw Bad(name, "the header declares no dimensions");
        int header = 4 + 4 * rank;
        if (bytes.Length < header) throw Bad(name, $"truncated header: {rank} dimensions need {header} bytes, the file has {bytes.Length}");
        var dimensions = new int[rank];
        long elements = 1;
        for (int d = 0; d < rank; d++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(bytes[(4 + 4 * d)..]);
            if (size > int.MaxValue) throw Bad(name, $"dimension {d + 1} is {size}, too large");
            dimensions[d] = (int)size;
            elements *= size;
            if (elements > Array.MaxLength) throw Bad(name, "the declared dimensions hold more elements than an array can");
        }
        long data = bytes.Length - header;
        if (data < elements)
            throw Bad(name, $"truncated: dimensions {string.Join('×', dimensions)} need {elements} data bytes, the file has {data}");
        if (data > elements)
            throw Bad(name, $"{data - elements} bytes after the {elements} data bytes that dimensions {string.Join('×', dimensions)} declare");
        return new IdxArray(dimensions, bytes[header..].ToArray());
    }

    private static byte[] Gunzip(byte[] compressed, string path)
    {
        try
        {
            using var input = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
            using var output = new MemoryStream();
            input.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw Bad(path, $"corrupt gzip data ({e.Message})");
        }
    }

    private static InvalidDataException Bad(string name, string problem) => new($"{name}: {problem}");
}
