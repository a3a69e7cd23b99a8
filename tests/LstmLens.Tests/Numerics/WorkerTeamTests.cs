// The kernel worker team: every cell runs exactly once for any thread and cell count, a call from
// inside a cell is refused (the caller then works alone), and a failing cell surfaces on the caller
// without leaving the team unusable. Each test uses its own team, not the shared one.
using LstmLens.Numerics;
using Xunit;

namespace LstmLens.Tests.Numerics;

public class WorkerTeamTests
{
    [Fact]
    public void Every_cell_runs_exactly_once()
    {
        var team = new WorkerTeam();
        for (int repetition = 0; repetition < 20; repetition++)
        {
            foreach (int threads in new[] { 1, 2, 3, 5 })
            {
                for (int cells = 0; cells <= 17; cells++)
                {
                    var runs = new int[cells];
                    Assert.True(team.TryRun(threads, cells, cell => Interlocked.Increment(ref runs[cell])));
                    Assert.All(runs, count => Assert.Equal(1, count));
                }
            }
        }
    }

    [Fact]
    public void A_call_from_inside_a_cell_is_refused()
    {
        var team = new WorkerTeam();
        int accepted = 0, cellsRun = 0;
        Assert.True(team.TryRun(3, 12, _ =>
        {
            Interlocked.Increment(ref cellsRun);
            if (team.TryRun(2, 2, _ => { })) Interlocked.Increment(ref accepted);
        }));
        Assert.Equal(12, cellsRun);
        Assert.Equal(0, accepted);
    }

    [Fact]
    public void A_failing_cell_surfaces_and_the_team_stays_usable()
    {
        var team = new WorkerTeam();
        var error = Record.Exception(() => team.TryRun(2, 8, cell =>
        {
            if (cell == 5) throw new InvalidOperationException("cell 5");
        }));
        Assert.NotNull(error);
        var inner = error is AggregateException aggregate ? aggregate.InnerException : error;
        Assert.Equal("cell 5", Assert.IsType<InvalidOperationException>(inner).Message);

        var runs = new int[8];
        Assert.True(team.TryRun(2, 8, cell => Interlocked.Increment(ref runs[cell])));
        Assert.All(runs, count => Assert.Equal(1, count));
    }
}
