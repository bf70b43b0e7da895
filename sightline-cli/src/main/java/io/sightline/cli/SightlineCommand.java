package io.sightline.cli;

import io.sightline.cli.commands.AdminCommand;
import io.sightline.cli.commands.AgentCommand;
import io.sightline.cli.commands.ApprovalCommands;
import io.sightline.cli.commands.AuditCommand;
import io.sightline.cli.commands.CompletionCommand;
import io.sightline.cli.commands.ConnectionCommand;
import io.sightline.cli.commands.EnvCommand;
import io.sightline.cli.commands.IssuerCommand;
import io.sightline.cli.commands.LeaseCommand;
import io.sightline.cli.commands.LoginCommand;
import io.sightline.cli.commands.RunCommand;
import io.sightline.cli.commands.TokenCommand;
import io.sightline.cli.commands.TrustCommand;
import io.sightline.cli.kubelogin.KubeloginCommand;
import io.sightline.cli.kubelogin.LeaseCommands;
import io.sightline.server.ServerCommand;
import picocli.CommandLine.Command;

@Command(
    name = "sightline",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
      "Short-lived, audited access to Kubernetes clusters for pipelines and people.",
      "",
      "Start a server with `sightline server`; talk to it with the other commands.",
      "Machine output (JSON, tokens) goes to standard output, messages to standard error.",
      "Exit codes: 0 ok, 1 failure, 2 usage error."
    },
    subcommands = {
      ServerCommand.class,
      LoginCommand.class,
      ConnectionCommand.class,
      RunCommand.class,
      EnvCommand.class,
      ApprovalCommands.Approve.class,
      ApprovalCommands.Reject.class,
      LeaseCommand.class,
      TrustCommand.class,
      TokenCommand.class,
      KubeloginCommand.class,
      LeaseCommands.GetTokenCommand.class,
      LeaseCommands.KubeconfigCommand.class,
      AuditCommand.class,
      AdminCommand.class,
      IssuerCommand.class,
      AgentCommand.class,
      CompletionCommand.class
    })
public final class SightlineCommand {}
