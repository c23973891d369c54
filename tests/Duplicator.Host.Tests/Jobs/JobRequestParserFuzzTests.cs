using System.Diagnostics;
using System.Text;
using Duplicator.Host.Jobs;

namespace Duplicator.Host.Tests.Jobs;

/// <summary>
/// The job parser against random and mutated documents (seeded, so a failure can be replayed): every input either
/// parses or is refused with <see cref="JobRejectedException"/> and at most MaxProblems + 1 short lines; nothing
/// else is ever thrown, and no input takes long (a hang detector, not a speed target).
/// </summary>
public sealed class JobRequestParserFuzzTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dup-fuzz-").FullName;

    public JobRequestParserFuzzTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "input", "photos"));
        File.WriteAllText(Path.Combine(_root, "input", "photos", "a.txt"), "a");
        File.WriteAllBytes(Path.Combine(_root, "input", "disc.iso"), new byte[2048]);
        File.WriteAllBytes(Path.Combine(_root, "input", "a.wav"), new byte[44]);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static readonly string[] Seeds =
    [
        """{ "schema": "duplicator.job/1", "id": "b-1", "folder": "input/photos", "copies": 8, "media": "dvd", "volume": "PHOTOS" }""",
        """{ "image": "input/disc.iso", "copies": 2, "verify": false, "speed": 4, "drives": ["drive-1", "drive-2"] }""",
        """{ "audio": ["input/a.wav", "input/a.wav"], "copies": 1, "audioMode": "dao", "media": "cd80", "rejectIfNotBlank": true, "failedDiscThreshold": 3 }""",
    ];

    private static readonly string[] Fragments =
    [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud800", "\\u0000", "null", "true", "false", "-0", "1e309", "99999999999999999999",
        "\"copies\"", "\"copies\": 1", "\"folder\"", "\"audio\": []", "\"drives\": [1]", "/*", "*/", "//", "\n", "\uFEFF", "\u00e9", "\U0001F4BF",
        "\"../../etc/passwd\"", "\"/etc/passwd\"", "\"input/photos\"", new string('[', 40), new string('x', 300),
    ];

    [Fact]
    public void Mutated_and_random_documents_only_ever_parse_or_give_clear_refusals()
    {
        var random = new Random(20261201);
        var stopwatch = new Stopwatch();
        var slowest = TimeSpan.Zero;
        int parsed = 0, refused = 0;
        for (int i = 0; i < 4000; i++)
        {
            var input = Input(random, i);
            stopwatch.Restart();
            try
            {
                JobRequestParser.Parse(input, "fuzz", _root, [Path.Combine(_root, "input")]);
                parsed++;
            }
            catch (JobRejectedException e)
            {
                refused++;
                Assert.NotEmpty(e.Problems);
                Assert.True(e.Problems.Count <= JobRequestParser.MaxProblems + 1, $"input {i}: {e.Problems.Count} problems");
                Assert.All(e.Problems, p => Assert.True(p.Length < 1000, $"input {i}: a problem of {p.Length} characters"));
            }
            catch (Exception e)
            {
                Assert.Fail($"input {i} ({Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 200)))}...) threw {e.GetType().Name}: {e.Message}");
            }
            if (stopwatch.Elapsed > slowest) slowest = stopwatch.Elapsed;
        }
        Assert.True(slowest < TimeSpan.FromSeconds(2), $"slowest input took {slowest}");
        Assert.True(parsed > 50, $"only {parsed} inputs parsed: the mutations never keep a valid job"); // the generator reaches valid jobs too
        Assert.True(refused > 1000, $"only {refused} refused");
    }

    private static byte[] Input(Random random, int i)
    {
        switch (i % 4)
        {
            case 0: // random bytes
            {
                var b = new byte[random.Next(0, 400)];
                random.NextBytes(b);
                return b;
            }
            case 1: // random fragments
            {
                var sb = new StringBuilder();
                for (int n = random.Next(1, 40); n > 0; n--) sb.Append(Fragments[random.Next(Fragments.Length)]);
                return Encoding.UTF8.GetBytes(sb.ToString());
            }
            default: // a valid job, mutated a few times (some left intact)
            {
                var bytes = new List<byte>(Encoding.UTF8.GetBytes(Seeds[random.Next(Seeds.Length)]));
                int mutations = i % 8 == 2 ? 0 : random.Next(1, 5);
                for (int m = 0; m < mutations; m++)
                {
                    int at = random.Next(bytes.Count + 1);
                    switch (random.Next(4))
                    {
                        case 0 when at < bytes.Count: bytes.RemoveAt(at); break;
                        case 1 when at < bytes.Count: bytes[at] = (byte)random.Next(256); break;
                        case 2: bytes.InsertRange(at, Encoding.UTF8.GetBytes(Fragments[random.Next(Fragments.Length)])); break;
                        default:
                        {
                            // duplicate a slice (repeated keys, doubled values)
                            int from = random.Next(bytes.Count), len = Math.Min(random.Next(1, 30), bytes.Count - from);
                            bytes.InsertRange(at, bytes.GetRange(from, len));
                            break;
                        }
                    }
                }
                return [.. bytes];
            }
        }
    }
}
