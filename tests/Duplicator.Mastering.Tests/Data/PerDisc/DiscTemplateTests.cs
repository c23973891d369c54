using System.Text;
using Duplicator.Mastering.Data.PerDisc;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Mastering.Tests.Data.PerDisc;

public sealed class DiscTemplateTests
{
    private static readonly DiscValues Values = new(1042, 7, "order-9", new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero),
        new Dictionary<string, string> { ["key"] = "K-1", ["name"] = "Ana" });

    [Theory]
    [InlineData("Serial {serial:000000}\nKey {key}\n", "Serial 001042\nKey K-1\n")]
    [InlineData("{serial}-{disc:000}-{batch}-{date}-{date:yyyyMMdd}", "1042-007-order-9-2025-03-04-20250304")]
    [InlineData("{{literal}} {name}", "{literal} Ana")]
    [InlineData("no placeholders", "no placeholders")]
    public void Renders_placeholders_formats_and_braces(string template, string expected) =>
        Assert.Equal(expected, DiscTemplate.Parse(template, "t", ["key", "name"]).Render(Values));

    [Theory]
    [InlineData("{nope}", "{nope} is neither serial")]
    [InlineData("{serial", "never closed")]
    [InlineData("a}b", "closes nothing")]
    [InlineData("{serial:abc}", "a number's format")]
    [InlineData("{key:000}", "only serial, disc and date take a format")]
    [InlineData("{date:yyyy'x'}", "a date's format")]
    public void Refuses_a_bad_template_naming_the_field(string template, string why)
    {
        var e = Assert.Throws<ImapiException>(() => DiscTemplate.Parse(template, "perDisc.files[0].template", ["key"]));
        Assert.Equal(ImapiError.InvalidInput, e.Code);
        Assert.StartsWith("perDisc.files[0].template: ", e.Message);
        Assert.Contains(why, e.Message);
    }
}

public sealed class ValuesCsvTests
{
    private static ValuesCsv Parse(string text) => ValuesCsv.Parse(Encoding.UTF8.GetBytes(text), "keys.csv");

    [Fact]
    public void Parses_a_header_and_rows_with_quotes_commas_and_crlf()
    {
        var csv = Parse("key,name\r\nK-1,\"Smith, Ana\"\r\nK-2,\"say \"\"hi\"\"\nthere\"\r\n");
        Assert.Equal(["key", "name"], csv.Columns.ToArray());
        Assert.Equal(2, csv.Rows.Length);
        Assert.Equal("Smith, Ana", csv.Row(0)["name"]);
        Assert.Equal("say \"hi\"\nthere", csv.Row(1)["name"]);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("key\nA\n\nB\n", "line 3: an empty line")]
    [InlineData("key,name\nA\n", "line 2 (row 1): 1 fields, the header has 2")]
    [InlineData("key\nA\"B\n", "line 2: a quote inside an unquoted field")]
    [InlineData("key\n\"AB\"C\n", "line 2: characters after a closing quote")]
    [InlineData("key\n\"AB\n", "never closed")]
    [InlineData("key,key\nA,B\n", "column 'key' appears twice")]
    [InlineData("serial\n1\n", "'serial' is a built-in placeholder")]
    [InlineData("a b\n1\n", "column name 'a b'")]
    [InlineData("key\nA\u0001\n", "control character U+0001")]
    [InlineData("key\nA\rB\n", "a carriage return not followed by a line feed")]
    public void Refuses_malformed_csv_naming_the_line(string text, string why)
    {
        var e = Assert.Throws<ImapiException>(() => Parse(text));
        Assert.Equal(ImapiError.InvalidInput, e.Code);
        Assert.Contains(why, e.Message);
        Assert.StartsWith("values keys.csv: ", e.Message);
    }

    [Fact]
    public void Refuses_a_field_over_the_limit_naming_row_and_column()
    {
        var e = Assert.Throws<ImapiException>(() => Parse("id,key\n1,ok\n2," + new string('k', ValuesCsv.MaxFieldLength + 1) + "\n"));
        Assert.Contains("line 3 (row 2, column key): a field longer than 4096 characters", e.Message);
    }

    [Fact]
    public void Refuses_oversized_input_and_bad_utf8_before_parsing()
    {
        Assert.Contains("at most", Assert.Throws<ImapiException>(() => ValuesCsv.Parse(new byte[ValuesCsv.MaxBytes + 1], "big")).Message);
        Assert.Contains("not UTF-8", Assert.Throws<ImapiException>(() => ValuesCsv.Parse([(byte)'k', 0xFF, (byte)'\n'], "bad")).Message);
    }

    [Fact]
    public void Load_refuses_a_fifo_without_blocking()
    {
        var dir = Directory.CreateTempSubdirectory("dup-csv-").FullName;
        try
        {
            var fifo = Path.Combine(dir, "keys.csv");
            Assert.Equal(0, Oracles.ExternalTool.Run("mkfifo", [fifo]).ExitCode);
            Assert.Contains("not a regular file", Assert.Throws<ImapiException>(() => ValuesCsv.Load(fifo)).Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
