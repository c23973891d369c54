using Duplicator.Actors.Batches;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Actors.Tests.Batches;

public sealed class BatchIdsTests
{
    [Theory]
    [InlineData("", "empty")]
    [InlineData(".", "only dots")]
    [InlineData("..", "only dots")]
    [InlineData("....", "only dots")]
    [InlineData("a\nb", "U+000A")]
    [InlineData("a\u0000", "U+0000")]
    [InlineData("a\u202Eb", "U+202E")]
    [InlineData("a\u2028", "U+2028")]
    public void Refused_ids_name_the_id_and_the_rule(string id, string why)
    {
        var refusal = BatchIds.Refusal(id);
        Assert.NotNull(refusal);
        Assert.StartsWith("IMAPI_E_INVALIDINPUT: batch id '", refusal);
        Assert.Contains(why, refusal);
        Assert.Contains(BatchIds.Rule, refusal);
        Assert.DoesNotContain('\n', refusal); // a hostile id cannot forge a log line
        Assert.Equal(ImapiError.InvalidInput, Assert.Throws<ImapiException>(() => BatchIds.Validate(id)).Code);
    }

    [Fact]
    public void An_unpaired_surrogate_is_refused() // not an InlineData: test discovery would replace it with U+FFFD
    {
        var refusal = BatchIds.Refusal("a" + '\uD800' + "b");
        Assert.Contains("unpaired surrogate at 1", refusal);
        Assert.Contains("\\ud800", refusal);
    }

    [Fact]
    public void Too_long_ids_are_refused_and_shown_cut()
    {
        var id = new string('x', BatchIds.MaxLength + 1);
        var refusal = BatchIds.Refusal(id)!;
        Assert.Contains($"{BatchIds.MaxLength + 1} characters, more than {BatchIds.MaxLength}", refusal);
        Assert.True(refusal.Length < 400, refusal);
        Assert.Null(BatchIds.Refusal(new string('x', BatchIds.MaxLength)));
    }

    [Theory]
    [InlineData("b1")]
    [InlineData("a.b")]
    [InlineData("..x")]
    [InlineData("order 7")]
    [InlineData("a/../..")] // allowed by the tower: its folder is derived, never the id itself
    [InlineData("zoë-\U0001F4BF")]
    public void Ordinary_ids_are_accepted(string id) => Assert.Null(BatchIds.Refusal(id));

    [Fact]
    public void A_new_batch_with_a_dot_id_is_refused_by_the_ledger_logic()
    {
        var spec = new BatchSpec("..", SourceKind.Image, ["/x.iso"], 1, new BatchOptions(true, 0, 0, true, []));
        var d = BatchLogic.Decide(BatchState.Empty, new SubmitBatch(spec, DateTimeOffset.UnixEpoch));
        Assert.Contains("only dots", d.Refused);
        Assert.True(d.Events.IsEmpty);
    }
}
