package io.sightline.cli;

import io.sightline.cli.client.ApiException;
import io.sightline.cli.client.CliConfig;
import io.sightline.cli.commands.RunCommand;
import io.sightline.core.Redactor;
import io.sightline.core.SightlineException;
import io.sightline.server.ServerCommand;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import picocli.CommandLine;

/** Entry point of {@code sightline.jar}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    int code =
        run(
            args,
            System.getenv(),
            System.in,
            new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true),
            new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true));
    System.exit(code);
  }

  /** Runs one command line with injected surroundings; answers the exit code. */
  public static int run(
      String[] args, Map<String, String> env, InputStream in, PrintWriter out, PrintWriter err) {
    CliContext ctx = new CliContext(env, in, out, err, CliConfig.forEnvironment(env));
    if (args.length > 0 && args[0].equals("run")) {
      // `run` starts every CI task: skip building the model of every other command (startup time)
      CommandLine run = configure(new CommandLine(RunCommand.class, factory(ctx)), ctx);
      run.setCommandName("sightline run");
      return run.execute(java.util.Arrays.copyOfRange(args, 1, args.length));
    }
    return commandLine(ctx).execute(args);
  }

  /** The command tree, with every command constructed by {@link #factory(CliContext)}. */
  public static CommandLine commandLine(CliContext ctx) {
    return configure(new CommandLine(SightlineCommand.class, factory(ctx)), ctx);
  }

  private static CommandLine configure(CommandLine cl, CliContext ctx) {
    addHelpOptions(cl);
    cl.setOut(ctx.out());
    cl.setErr(ctx.err());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("error: " + describe(e));
          commandLine.getErr().flush();
          return e instanceof UsageException ? 2 : 1;
        });
    return cl;
  }

  static String describe(Exception e) {
    String message;
    if (e instanceof ApiException
        || e instanceof SightlineException
        || e instanceof UsageException) {
      message = e.getMessage();
    } else if (e instanceof java.nio.file.NoSuchFileException) {
      message = "no such file: " + e.getMessage();
    } else if (e instanceof java.nio.file.AccessDeniedException) {
      message = "permission denied: " + e.getMessage();
    } else {
      message =
          e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
    return Redactor.redact(message);
  }

  /** Commands take a {@link CliContext} in their constructor when they need one. */
  static CommandLine.IFactory factory(CliContext ctx) {
    CommandLine.IFactory fallback = CommandLine.defaultFactory();
    return new CommandLine.IFactory() {
      @Override
      public <K> K create(Class<K> cls) throws Exception {
        if (cls == ServerCommand.class) {
          return cls.cast(new ServerCommand(ctx.env(), System.err));
        }
        for (Constructor<?> c : cls.getDeclaredConstructors()) {
          if (c.getParameterCount() == 1 && c.getParameterTypes()[0] == CliContext.class) {
            c.setAccessible(true);
            return cls.cast(c.newInstance(ctx));
          }
        }
        return fallback.create(cls);
      }
    };
  }

  /** For {@link PrintStream}-based callers (tests). */
  public static PrintWriter writer(PrintStream s) {
    return new PrintWriter(new OutputStreamWriter(s, StandardCharsets.UTF_8), true);
  }

  /**
   * Gives every command in the tree {@code -h/--help} unless it declares its own help option, so
   * {@code sightline <group> --help} explains instead of failing with "Unknown option". Only help:
   * {@code --version} stays on the top-level command, the one that has a version provider.
   */
  private static void addHelpOptions(CommandLine cl) {
    CommandLine.Model.CommandSpec spec = cl.getCommandSpec();
    if (spec.findOption("--help") == null && spec.findOption("-h") == null) {
      spec.addOption(
          CommandLine.Model.OptionSpec.builder("-h", "--help")
              .usageHelp(true)
              .description("Show this help message and exit.")
              .build());
    }
    for (CommandLine sub : cl.getSubcommands().values()) {
      addHelpOptions(sub);
    }
  }
}
