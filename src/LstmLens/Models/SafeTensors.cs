// Reader and writer of the safetensors format (Hugging Face), the checkpoint format shared with
// PyTorch: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}} (optionally padded
// with spaces), then the data buffer; offsets are relative to the buffer, tensors are row-major and
// little-endian, and the buffer is covered by the tensors exactly (no overlap, no hole). Every header
// number is checked before use and every problem is one line naming the file. Files are read whole
// into memory (up to 2 GiB) and written atomically. Not a tensor library: values come out as spans
// of float/double (from F16, BF16, F32, F64) or long (I64); other dtypes are validated but not converted.
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;
using LstmLens.Data;

namespace LstmLens.Models;

/// <summary>Element types of the safetensors format.</summary>
public enum SafeTensorDType
{
    /// <summary>Boolean, one byte.</summary>
    Bool,
    /// <summary>Unsigned 8-bit integer.</summary>
    U8,
    /// <summary>Signed 8-bit integer.</summary>
    I8,
    /// <summary>8-bit float, 5 exponent bits.</summary>
    F8E5M2,
    /// <summary>8-bit float, 4 exponent bits.</summary>
    F8E4M3,
    /// <summary>Signed 16-bit integer.</summary>
    I16,
    /// <summary>Unsigned 16-bit integer.</summary>
    U16,
    /// <summary>IEEE half precision.</summary>
    F16,
    /// <summary>bfloat16 (the upper half of a float32).</summary>
    BF16,
    /// <summary>Signed 32-bit integer.</summary>
    I32,
    /// <summary>Unsigned 32-bit integer.</summary>
    U32,
    /// <summary>IEEE single precision.</summary>
    F32,
    /// <summary>IEEE double precision.</summary>
    F64,
    /// <summary>Signed 64-bit integer.</summary>
    I64,
    /// <summary>Unsigned 64-bit integer.</summary>
    U64,
}

/// <summary>One named tensor: dtype, shape and its little-endian bytes.</summary>
public sealed class SafeTensor
{
    internal SafeTensor(string name, SafeTensorDType dtype, int[] shape, ReadOnlyMemory<byte> data)
    {
        Name = name;
        DType = dtype;
        Shape = shape;
        Data = data;
    }

    /// <summary>Tensor name (e.g. "rnn.weight_ih_l0").</summary>
    public string Name { get; }

    /// <summary>Element type.</summary>
    public SafeTensorDType DType { get; }

    /// <summary>Row-major shape; empty for a scalar.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>The raw little-endian bytes.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>Number of elements (the product of the shape).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>
    /// A tensor holding a copy of <paramref name="values"/> with <paramref name="shape"/>; T must be float (F32),
    /// double (F64) or long (I64).
    /// </summary>
    public static SafeTensor Create<T>(string name, ReadOnlySpan<T> values, params int[] shape) where T : unmanaged
    {
        var dtype = typeof(T) == typeof(float) ? SafeTensorDType.F32
            : typeof(T) == typeof(double) ? SafeTensorDType.F64
            : typeof(T) == typeof(long) ? SafeTensorDType.I64
            : throw new NotSupportedException($"safetensors writing supports float, double and long, not {typeof(T).Name}");
        if (shape.Any(d => d < 0)) throw new ArgumentException($"tensor '{name}': negative dimension in shape", nameof(shape));
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count != values.Length)
            throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", shape)}] holds {count} elements but {values.Length} were given", nameof(values));
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors writing needs a little-endian machine");
        return new SafeTensor(name, dtype, [.. shape], MemoryMarshal.AsBytes(values).ToArray());
    }

    /// <summary>
    /// Converts the values (F16, BF16, F32 or F64) to <typeparamref name="T"/> into <paramref name="destination"/>,
    /// whose length must equal <see cref="ElementCount"/>.
    /// </summary>
    public void CopyTo<T>(Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (destination.Length != ElementCount)
            throw new ArgumentException($"tensor '{Name}' has {ElementCount} elements; the destination has {destination.Length}", nameof(destination));
        var bytes = Data.Span;
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = DType switch
            {
                SafeTensorDType.F32 => T.CreateChecked(BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..])),
                SafeTensorDType.F64 => T.CreateChecked(BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..])),
                SafeTensorDType.F16 => T.CreateChecked((float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..])),
                SafeTensorDType.BF16 => T.CreateChecked(BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) << 16)),
                _ => throw new InvalidOperationException($"tensor '{Name}' is {DType}, not a floating-point tensor"),
            };
        }
    }

    /// <summary>The values of an I64 tensor.</summary>
    public long[] ToInt64()
    {
        if (DType != SafeTensorDType.I64) throw new InvalidOperationException($"tensor '{Name}' is {DType}, not I64");
        var values = new long[ElementCount];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt64LittleEndian(Data.Span[(8 * i)..]);
        return values;
    }
}

/// <summary>The tensors and metadata of one safetensors file, in header order.</summary>
public sealed class SafeTensorFile
{
    private readonly Dictionary<string, SafeTensor> _byName;

    internal SafeTensorFile(IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name);
    }

    /// <summary>The tensors in header order.</summary>
    public IReadOnlyList<SafeTensor> Tensors { get; }

    /// <summary>The <c>__metadata__</c> strings (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>True when a tensor of that name exists.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    public SafeTensor this[string name] =>
        _byName.TryGetValue(name, out var tensor) ? tensor : throw new KeyNotFoundException($"no tensor named '{name}'");
}

/// <summary>Reading, validating and writing safetensors files.</summary>
public static class SafeTensors
{
    private const string MetadataKey = "__metadata__";

    private static readonly (string Name, SafeTensorDType Type, int Size)[] DTypes =
    [
        ("BOOL", SafeTensorDType.Bool, 1), ("U8", SafeTensorDType.U8, 1), ("I8", SafeTensorDType.I8, 1),
        ("F8_E5M2", SafeTensorDType.F8E5M2, 1), ("F8_E4M3", SafeTensorDType.F8E4M3, 1),
        ("I16", SafeTensorDType.I16, 2), ("U16", SafeTensorDType.U16, 2), ("F16", SafeTensorDType.F16, 2),
        ("BF16", SafeTensorDType.BF16, 2), ("I32", SafeTensorDType.I32, 4), ("U32", SafeTensorDType.U32, 4),
        ("F32", SafeTensorDType.F32, 4), ("F64", SafeTensorDType.F64, 8), ("I64", SafeTensorDType.I64, 8),
        ("U64", SafeTensorDType.U64, 8),
    ];

    /// <summary>Reads and validates a file; problems are <see cref="InvalidDataException"/>s naming <paramref name="path"/>.</summary>
    public static SafeTensorFile Read(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>
    /// Validates and indexes the bytes of a safetensors file (the tensors are views of <paramref name="bytes"/>).
    /// <paramref name="source"/> names the origin in error messages.
    /// </summary>
    public static SafeTensorFile Parse(ReadOnlyMemory<byte> bytes, string source)
    {
        var span = bytes.Span;
        if (span.Length < 8) throw Error(source, $"truncated: {span.Length} bytes, fewer than the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(span);
        if (headerLength > (ulong)(span.Length - 8))
            throw Error(source, $"header length {headerLength} runs past the end of the file ({span.Length - 8} bytes follow the length field)");
        int n = (int)headerLength;
        if (n == 0 || span[8] != (byte)'{') throw Error(source, "header does not start with '{'");
        if (!Utf8.IsValid(span.Slice(8, n))) throw Error(source, "header is not valid UTF-8");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes.Slice(8, n));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: header is not valid JSON: {JsonErrors.OneLine(e)}", e);
        }
        using (document)
        {
            var buffer = bytes[(8 + n)..];
            var metadata = new Dictionary<string, string>();
            var tensors = new List<SafeTensor>();
            var ranges = new List<(long Begin, long End, string Name)>();
            var seen = new HashSet<string>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name)) throw Error(source, $"duplicate key '{property.Name}' in header");
                if (property.Name == MetadataKey)
                {
                    ReadMetadata(property.Value, source, metadata);
                    continue;
                }
                var (tensor, begin, end) = ReadEntry(property.Name, property.Value, buffer, source);
                tensors.Add(tensor);
                ranges.Add((begin, end, property.Name));
            }
            CheckCoverage(ranges, buffer.Length, source);
            return new SafeTensorFile(tensors, metadata);
        }
    }

    /// <summary>The bytes of a safetensors file holding <paramref name="tensors"/> in order, header padded to 8 bytes.</summary>
    public static byte[] Serialize(IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var names = new HashSet<string>();
        foreach (var t in list)
        {
            if (t.Name == MetadataKey) throw new ArgumentException($"'{MetadataKey}' is reserved and cannot name a tensor", nameof(tensors));
            if (!names.Add(t.Name)) throw new ArgumentException($"duplicate tensor name '{t.Name}'", nameof(tensors));
        }

        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata) writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in list)
            {
                writer.WriteStartObject(t.Name);
                writer.WriteString("dtype", DTypes.First(d => d.Type == t.DType).Name);
                writer.WriteStartArray("shape");
                foreach (int d in t.Shape) writer.WriteNumberValue(d);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset += t.Data.Length);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }

        int headerLength = (int)(json.Length + 7) / 8 * 8; // padding with spaces keeps the buffer 8-byte aligned
        var bytes = new byte[8 + headerLength + list.Sum(t => (long)t.Data.Length)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)headerLength);
        json.GetBuffer().AsSpan(0, (int)json.Length).CopyTo(bytes.AsSpan(8));
        bytes.AsSpan(8 + (int)json.Length, headerLength - (int)json.Length).Fill((byte)' ');
        int position = 8 + headerLength;
        foreach (var t in list)
        {
            t.Data.Span.CopyTo(bytes.AsSpan(position));
            position += t.Data.Length;
        }
        return bytes;
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/> atomically (<see cref="AtomicFile"/>: a temporary
    /// file in the same directory, flushed, then renamed over the target), so a reader never sees a partial file.
    /// </summary>
    public static void Write(string path, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var bytes = Serialize(tensors, metadata);
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    private static void ReadMetadata(JsonElement element, string source, Dictionary<string, string> metadata)
    {
        if (element.ValueKind != JsonValueKind.Object) throw Error(source, $"'{MetadataKey}' is not an object of strings");
        foreach (var entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String) throw Error(source, $"'{MetadataKey}' value of '{entry.Name}' is not a string");
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!)) throw Error(source, $"duplicate key '{entry.Name}' in '{MetadataKey}'");
        }
    }

    private static (SafeTensor Tensor, long Begin, long End) ReadEntry(string name, JsonElement entry, ReadOnlyMemory<byte> buffer, string source)
    {
        if (entry.ValueKind != JsonValueKind.Object) throw Error(source, $"tensor '{name}': entry is not an object");
        if (!entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Error(source, $"tensor '{name}': missing string 'dtype'");
        string dtypeName = dtypeElement.GetString()!;
        int index = Array.FindIndex(DTypes, d => d.Name == dtypeName);
        if (index < 0) throw Error(source, $"tensor '{name}': unknown dtype '{dtypeName}'");
        var (_, dtype, size) = DTypes[index];

        long[] shape = ReadIntegers(entry, "shape", name, source);
        long[] offsets = ReadIntegers(entry, "data_offsets", name, source);
        if (offsets.Length != 2) throw Error(source, $"tensor '{name}': 'data_offsets' has {offsets.Length} numbers, not 2");
        long begin = offsets[0], end = offsets[1];
        if (begin > end) throw Error(source, $"tensor '{name}': data_offsets [{begin}, {end}] end before they begin");
        if (end > buffer.Length) throw Error(source, $"tensor '{name}': data_offsets [{begin}, {end}] run past the {buffer.Length}-byte data buffer");

        long bytes = size;
        foreach (long d in shape)
        {
            if (d > int.MaxValue) throw Error(source, $"tensor '{name}': dimension {d} is too large");
            try
            {
                bytes = checked(bytes * d);
            }
            catch (OverflowException)
            {
                throw Error(source, $"tensor '{name}': shape [{string.Join(", ", shape)}] overflows");
            }
        }
        if (bytes != end - begin)
            throw Error(source, $"tensor '{name}': shape [{string.Join(", ", shape)}] of {dtypeName} needs {bytes} bytes but data_offsets [{begin}, {end}] hold {end - begin}");
        var tensor = new SafeTensor(name, dtype, [.. shape.Select(d => (int)d)], buffer[(int)begin..(int)end]);
        return (tensor, begin, end);
    }

    private static long[] ReadIntegers(JsonElement entry, string key, string name, string source)
    {
        if (!entry.TryGetProperty(key, out var array) || array.ValueKind != JsonValueKind.Array)
            throw Error(source, $"tensor '{name}': missing array '{key}'");
        var values = new long[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out values[i]) || values[i] < 0)
                throw Error(source, $"tensor '{name}': '{key}' holds {item.GetRawText()}, not a non-negative integer");
            i++;
        }
        return values;
    }

    /// <summary>The tensors must tile the buffer: sorted by offset, each begins where the previous ended, the last ends at its end.</summary>
    private static void CheckCoverage(List<(long Begin, long End, string Name)> ranges, int bufferLength, string source)
    {
        ranges.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long covered = 0;
        string previous = "";
        foreach (var (begin, end, name) in ranges)
        {
            if (begin < covered) throw Error(source, $"tensors '{previous}' and '{name}' overlap in the data buffer");
            if (begin > covered) throw Error(source, $"bytes [{covered}, {begin}) of the data buffer belong to no tensor");
            covered = end;
            previous = name;
        }
        if (covered != bufferLength)
            throw Error(source, $"the data buffer has {bufferLength} bytes but the tensors cover only {covered}");
    }

    private static InvalidDataException Error(string source, string problem) => new($"{source}: {problem}");
}
