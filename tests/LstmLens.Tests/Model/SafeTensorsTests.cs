using System.Buffers.Binary;
using System.Text;
using LstmLens.Models;
using LstmLens.Numerics;

namespace LstmLens.Tests.Model;

/// <summary>Round trips, hand-built files (F16/BF16) and malformed inputs of the safetensors reader and writer.</summary>
public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("lstmlens-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Written_tensors_and_metadata_read_back_identically()
    {
        float[] weights = [1.5f, -2.25f, 3e-8f, float.MaxValue, 0, -0f];
        double[] values = [Math.PI, -1e300];
        long[] ids = [0, -1, long.MaxValue];
        string path = Path.Combine(_directory, "model.safetensors");
        SafeTensors.Write(path,
            [SafeTensor.Create<float>("rnn.weight_ih_l0", weights, 2, 3), SafeTensor.Create<double>("values", values, 2),
             SafeTensor.Create<long>("inputs", ids, 3), SafeTensor.Create<float>("loss", [2.5f]),
             SafeTensor.Create<float>("empty", [], 0, 4)],
            new Dictionary<string, string> { ["format"] = "pt", ["cell"] = "lstm" });

        var file = SafeTensors.Read(path);
        Assert.Equal(["rnn.weight_ih_l0", "values", "inputs", "loss", "empty"], file.Tensors.Select(t => t.Name));
        Assert.Equal("lstm", file.Metadata["cell"]);
        var w = file["rnn.weight_ih_l0"];
        Assert.Equal(SafeTensorDType.F32, w.DType);
        Assert.Equal([2, 3], w.Shape);
        var readWeights = new float[6];
        w.CopyTo<float>(readWeights);
        Assert.Equal(weights, readWeights);
        var readValues = new double[2];
        file["values"].CopyTo<double>(readValues);
        Assert.Equal(values, readValues);
        Assert.Equal(ids, file["inputs"].ToInt64());
        Assert.Empty(file["loss"].Shape);
        Assert.Equal(1, file["loss"].ElementCount);
        Assert.Equal(0, file["empty"].ElementCount);
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(path)) % 8);
        Assert.Equal([path], Directory.GetFiles(_directory)); // no temporary file left behind
    }

    [Fact]
    public void Writing_replaces_an_existing_file_whole()
    {
        string path = Path.Combine(_directory, "checkpoint.safetensors");
        SafeTensors.Write(path, [SafeTensor.Create<double>("a", new double[100], 100)]);
        SafeTensors.Write(path, [SafeTensor.Create<double>("b", [7.0], 1)]);
        var file = SafeTensors.Read(path);
        Assert.Equal(["b"], file.Tensors.Select(t => t.Name));
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public void Half_and_bfloat16_tensors_convert_to_float_and_double()
    {
        var data = new byte[8];
        BinaryPrimitives.WriteHalfLittleEndian(data, (Half)1.5);
        BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(2), (Half)(-0.25));
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(4), (ushort)(BitConverter.SingleToInt32Bits(-2.0f) >> 16));
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(6), (ushort)(BitConverter.SingleToInt32Bits(3.0f) >> 16));
        var file = SafeTensors.Parse(Build("""{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}}""", data), "mem");
        var half = new double[2];
        var bf = new float[2];
        file["h"].CopyTo<double>(half);
        file["b"].CopyTo<float>(bf);
        Assert.Equal([1.5, -0.25], half);
        Assert.Equal([-2.0f, 3.0f], bf);
        Assert.Throws<InvalidOperationException>(() => file["h"].ToInt64());
    }

    public static TheoryData<string, int, string> MalformedHeaders() => new()
    {
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]""", 8, "header is not valid JSON" },
        { """[{"dtype":"F32"}]""", 0, "header does not start with '{'" },
        { """{"a":{"dtype":"F7","shape":[2],"data_offsets":[0,8]}}""", 8, "tensor 'a': unknown dtype 'F7'" },
        { """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "needs 12 bytes but data_offsets [0, 8] hold 8" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}""", 8, "run past the 8-byte data buffer" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", 8, "end before they begin" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "tensors 'a' and 'b' overlap" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "bytes [0, 4) of the data buffer belong to no tensor" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 8, "the data buffer has 8 bytes but the tensors cover only 4" },
        { """{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}""", 0, "'shape' holds -1, not a non-negative integer" },
        { """{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,0]}}""", 0, "'shape' holds 1.5, not a non-negative integer" },
        { """{"a":{"dtype":"F32","shape":[1]}}""", 4, "tensor 'a': missing array 'data_offsets'" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", 4, "'data_offsets' has 1 numbers, not 2" },
        { """{"a":{"shape":[1],"data_offsets":[0,4]}}""", 4, "tensor 'a': missing string 'dtype'" },
        { """{"a":[1]}""", 0, "tensor 'a': entry is not an object" },
        { """{"__metadata__":{"epoch":3}}""", 0, "'__metadata__' value of 'epoch' is not a string" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "duplicate key 'a' in header" },
        { """{"a":{"dtype":"U8","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,0]}}""", 0, "dimension 4294967296 is too large" },
        { """{"a":{"dtype":"F64","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,0]}}""", 0, "overflows" },
    };

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public void Malformed_headers_are_reported_in_one_line_naming_the_source(string header, int bufferLength, string problem)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(Build(header, new byte[bufferLength]), "bad.safetensors"));
        Assert.StartsWith("bad.safetensors: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Invalid_utf8_in_the_header_is_reported()
    {
        byte[] bytes = Build("{\"ab\":1}", []);
        bytes[10] = 0xA7;
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(bytes, "bad.safetensors"));
        Assert.Equal("bad.safetensors: header is not valid UTF-8", e.Message);
    }

    [Fact]
    public void Truncated_files_are_reported_with_their_path()
    {
        string path = Path.Combine(_directory, "model.safetensors");
        SafeTensors.Write(path, [SafeTensor.Create<float>("w", new float[16], 4, 4)]);
        byte[] whole = File.ReadAllBytes(path);

        File.WriteAllBytes(path, whole[..5]);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.Equal($"{path}: truncated: 5 bytes, fewer than the 8-byte header length", e.Message);

        File.WriteAllBytes(path, whole[..20]);
        e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.StartsWith($"{path}: header length ", e.Message, StringComparison.Ordinal);
        Assert.Contains("runs past the end of the file", e.Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, whole[..^4]);
        e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.Contains("tensor 'w': data_offsets [0, 64] run past the 60-byte data buffer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_prefix_and_random_corruption_is_rejected_cleanly()
    {
        byte[] whole = SafeTensors.Serialize(
            [SafeTensor.Create<float>("encoder.weight", new float[12], 3, 4), SafeTensor.Create<long>("inputs", [1, 2], 2)],
            new Dictionary<string, string> { ["format"] = "pt" });
        for (int length = 0; length < whole.Length; length++)
            Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(whole.AsMemory(0, length), "prefix"));

        var rng = new Rng(77);
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(whole);
        int rejected = 0;
        for (int trial = 0; trial < 3000; trial++)
        {
            byte[] corrupt = [.. whole];
            corrupt[rng.NextInt(headerEnd)] = (byte)rng.NextInt(256);
            try
            {
                SafeTensors.Parse(corrupt, "fuzz"); // a harmless change (e.g. inside a name) may still parse
            }
            catch (InvalidDataException)
            {
                rejected++; // any other exception type fails the test
            }
        }
        Assert.InRange(rejected, 1000, 3000);
    }

    [Fact]
    public void Writer_rejects_inconsistent_tensors()
    {
        Assert.Throws<ArgumentException>(() => SafeTensor.Create<float>("w", new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => SafeTensors.Serialize(
            [SafeTensor.Create<float>("w", [1f]), SafeTensor.Create<float>("w", [2f])]));
        Assert.Throws<ArgumentException>(() => SafeTensors.Serialize([SafeTensor.Create<float>("__metadata__", [1f])]));
        Assert.Throws<NotSupportedException>(() => SafeTensor.Create<int>("i", [1], 1));
    }

    /// <summary>A file from a header text (padded to 8 bytes) and a data buffer.</summary>
    private static byte[] Build(string header, byte[] buffer)
    {
        var json = Encoding.UTF8.GetBytes(header);
        int length = (json.Length + 7) / 8 * 8;
        var bytes = new byte[8 + length + buffer.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)length);
        json.CopyTo(bytes, 8);
        bytes.AsSpan(8 + json.Length, length - json.Length).Fill((byte)' ');
        buffer.CopyTo(bytes, 8 + length);
        return bytes;
    }
}
