package io.sightline.cli.commands;

import io.sightline.cli.CliContext;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "completion",
    description = {"Print a shell completion script.", "Bash: source <(sightline completion bash)"})
public final class CompletionCommand implements Callable<Integer> {
  private final CliContext ctx;

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "SHELL", description = "bash (zsh works with bashcompinit).")
  String shell;

  public CompletionCommand(CliContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    if (!"bash".equals(shell) && !"zsh".equals(shell)) {
      throw new ParameterException(
          spec.commandLine(),
          "unsupported shell \"" + shell + "\": use bash (or zsh with bashcompinit)");
    }
    ctx.out().print(AutoComplete.bash("sightline", spec.root().commandLine()));
    ctx.out().flush();
    return 0;
  }
}
