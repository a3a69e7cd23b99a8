using LstmLens.Data;
using LstmLens.Numerics;
using LstmLens.Tasks;
using LstmLens.Tests.Data;

namespace LstmLens.Tests.Tasks;

public class PixelSequenceTaskTests
{
    private const int Images = 6, Rows = 3, Columns = 4;

    // Image i has pixel p = 10·i + p; label i + 1 (classes 0–9).
    private static (IdxArray Images, IdxArray Labels) TinyData() =>
        (new IdxArray([Images, Rows, Columns], [.. Enumerable.Range(0, Images * Rows * Columns).Select(i => (byte)(10 * (i / 12) + i % 12))]),
         new IdxArray([Images], [.. Enumerable.Range(1, Images).Select(i => (byte)i)]));

    internal static PixelSequenceTask TinyTask(ulong? permutationSeed = null)
    {
        var (images, labels) = TinyData();
        return new PixelSequenceTask(images, labels, permutationSeed);
    }

    [Fact]
    public void Pixels_are_read_row_by_row_scaled_to_unit_range()
    {
        var task = TinyTask();
        Assert.Equal(12, task.MinLength);
        var batch = new TaskBatch<double>(task, 2);
        task.Fill(batch, [4, 1]);
        for (int t = 0; t < 12; t++)
        {
            Assert.Equal((40 + t) / 255.0, batch.Vectors[t * 2 + 0]);
            Assert.Equal((10 + t) / 255.0, batch.Vectors[t * 2 + 1]);
        }
        Assert.Equal([5, 2], batch.Classes.ToArray());
    }

    [Fact]
    public void A_permutation_seed_fixes_one_pixel_order()
    {
        var permuted = TinyTask(permutationSeed: 42);
        Assert.Equal(Enumerable.Range(0, 12), permuted.PixelOrder.ToArray().Order());
        Assert.NotEqual(Enumerable.Range(0, 12), permuted.PixelOrder.ToArray());
        Assert.Equal(permuted.PixelOrder.ToArray(), TinyTask(permutationSeed: 42).PixelOrder.ToArray());
        Assert.NotEqual(permuted.PixelOrder.ToArray(), TinyTask(permutationSeed: 43).PixelOrder.ToArray());
        var batch = new TaskBatch<double>(permuted, 1);
        permuted.Fill(batch, [2]);
        for (int t = 0; t < 12; t++) Assert.Equal((20 + permuted.PixelOrder[t]) / 255.0, batch.Vectors[t]);
    }

    [Fact]
    public void Sampling_draws_every_image_and_labels_follow_the_image()
    {
        var task = TinyTask();
        var batch = new TaskBatch<double>(task, 200);
        task.Sample(new Rng(1), batch);
        for (int b = 0; b < 200; b++)
        {
            int image = (int)Math.Round(batch.Vectors[b] * 255) / 10;
            Assert.Equal(task.Label(image), batch.Classes[b]);
        }
        Assert.Equal(Images, batch.Classes.ToArray().Distinct().Count());
    }

    [Fact]
    public void Accuracy_threshold_follows_the_paper_unless_given()
    {
        var (images, labels) = TinyData();
        Assert.Equal(0.986, new PixelSequenceTask(images, labels).RequiredAccuracy);
        Assert.Equal(0.909, new PixelSequenceTask(images, labels, permutationSeed: 1).RequiredAccuracy);
        var task = new PixelSequenceTask(images, labels, requiredAccuracy: 0.5);
        Assert.True(task.Solved(new TaskScore(10, 5, 0)));
        Assert.False(task.Solved(new TaskScore(10, 6, 0)));
    }

    [Fact]
    public void Inconsistent_arrays_are_rejected()
    {
        var (images, labels) = TinyData();
        Assert.Contains("6 images but 5 labels", Assert.Throws<InvalidDataException>(() =>
            new PixelSequenceTask(images, new IdxArray([5], new byte[5]))).Message, StringComparison.Ordinal);
        Assert.Contains("label 2 is 12, outside 0–9", Assert.Throws<InvalidDataException>(() =>
            new PixelSequenceTask(images, new IdxArray([6], [1, 2, 12, 3, 4, 5]))).Message, StringComparison.Ordinal);
        Assert.Contains("[N, rows, columns]", Assert.Throws<InvalidDataException>(() =>
            new PixelSequenceTask(labels, labels)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loads_from_idx_files()
    {
        using var dir = new TempDirectory();
        var (images, labels) = TinyData();
        string imagesPath = Path.Combine(dir.Path, "images"), labelsPath = Path.Combine(dir.Path, "labels");
        File.WriteAllBytes(imagesPath, IdxFileTests.Idx(images.Dimensions, images.Elements));
        File.WriteAllBytes(labelsPath, IdxFileTests.Idx(labels.Dimensions, labels.Elements));
        var task = PixelSequenceTask.Load(imagesPath, labelsPath);
        Assert.Equal(Images, task.Count);
        Assert.Equal(3, task.Label(2));
    }

    // Runs where Debian's dataset-fashion-mnist is installed; elsewhere there is nothing to check.
    [Fact]
    public void Fashion_mnist_test_set_when_installed()
    {
        const string directory = "/usr/share/datasets/fashion-mnist";
        string imagesPath = Path.Combine(directory, "t10k-images-idx3-ubyte.gz"), labelsPath = Path.Combine(directory, "t10k-labels-idx1-ubyte.gz");
        if (!File.Exists(imagesPath) || !File.Exists(labelsPath)) return;
        var images = IdxFile.Read(imagesPath);
        Assert.Equal([10000, 28, 28], images.Dimensions);
        var task = PixelSequenceTask.Load(imagesPath, labelsPath, permutationSeed: 7);
        Assert.Equal(784, task.MinLength);
        var perClass = Enumerable.Range(0, task.Count).GroupBy(task.Label).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(Enumerable.Range(0, 10), perClass.Keys.Order());
        Assert.All(perClass.Values, count => Assert.Equal(1000, count)); // the test set is balanced
        var batch = new TaskBatch<float>(task, 1);
        task.Fill(batch, [0]);
        for (int t = 0; t < 784; t++) Assert.Equal(images.Elements[task.PixelOrder[t]] / 255f, batch.Vectors[t], 6);
    }
}
