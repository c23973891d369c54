using Duplicator.Mastering.Imapi;

namespace Duplicator.Host.Commands;

/// <summary>Process exit codes of the CLI.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>The request failed: bad input, a full disc, a drive error. The message says which.</summary>
    public const int Failed = 1;
    /// <summary>The command line itself is wrong (System.CommandLine's parse errors also exit non-zero).</summary>
    public const int Usage = 2;
    /// <summary>The operator cancelled (Ctrl+C).</summary>
    public const int Cancelled = 130;
}

/// <summary>
/// The command line itself is wrong: a value that cannot mean anything (an empty path, a drive URL that
/// does not parse, two options that exclude each other). Exits <see cref="ExitCodes.Usage"/>.
/// </summary>
internal sealed class UsageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>IMAPI names of error codes outside an exception.</summary>
internal static class ImapiErrorNames
{
    public static string Name(this ImapiError code) => "IMAPI_E_" + code.ToString().ToUpperInvariant();
}

/// <summary>Runs a command body and turns the project's typed failures into one clear stderr line and an exit code.</summary>
internal static class Cli
{
    /// <summary>A path given on the command line: empty, blank or with a NUL character it is a usage error naming the option.</summary>
    public static string PathArgument(string? value, string option)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new UsageException($"{option}: empty path");
        if (value.Contains('\0'))
            throw new UsageException($"{option}: the path holds a NUL character");
        return value;
    }

    /// <summary>
    /// Runs the parsed command line; a command line that does not parse (unknown option, missing
    /// argument, a value of the wrong type) prints one line per error and exits <see cref="ExitCodes.Usage"/>.
    /// </summary>
    public static int Invoke(System.CommandLine.ParseResult parse)
    {
        if (parse.Errors.Count == 0) return parse.Invoke();
        foreach (var error in parse.Errors)
            Console.Error.WriteLine($"duplicator: {error.Message}");
        var command = parse.CommandResult.Command;
        Console.Error.WriteLine($"duplicator: see 'duplicator {(command is System.CommandLine.RootCommand ? "" : command.Name + " ")}--help'");
        return ExitCodes.Usage;
    }

    public static int Run(Func<CancellationToken, int> body)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            return body(cts.Token);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"duplicator: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (ImapiException e) when (e.Code == ImapiError.UserAbort)
        {
            Console.Error.WriteLine($"duplicator: cancelled ({e.ImapiName}): {e.Message}");
            return ExitCodes.Cancelled;
        }
        catch (ImapiException e)
        {
            Console.Error.WriteLine($"duplicator: {e.ImapiName}: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (Configuration.ConfigException e)
        {
            Console.Error.WriteLine($"duplicator: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (Jobs.JobRejectedException e)
        {
            Console.Error.WriteLine($"duplicator: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (Control.ControlException e)
        {
            Console.Error.WriteLine($"duplicator: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("duplicator: cancelled");
            return ExitCodes.Cancelled;
        }
        catch (Drivers.Transport.TransportException e)
        {
            Console.Error.WriteLine($"duplicator: {ImapiError.DeviceNotAccessible.Name()}: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"duplicator: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (System.Data.Common.DbException e)
        {
            Console.Error.WriteLine($"duplicator: the batch ledger cannot be used: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (Exception e)
        {
            // Never a stack trace for the operator: one line naming the failure; DUPLICATOR_TRACE=1 adds the trace.
            Console.Error.WriteLine($"duplicator: unexpected {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable(Configuration.ConfigLoader.TraceSwitch) == "1")
                Console.Error.WriteLine(e);
            return ExitCodes.Failed;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
