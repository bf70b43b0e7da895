package io.sightline.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ArchitectureTest {
  private static final JavaClasses CLASSES =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.sightline");

  @Test
  @DisplayName(
      "client-side commands depend only on the REST API, never on server or store internals")
  void clientCodeStaysOffServerInternals() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "io.sightline.cli.client..",
            "io.sightline.cli.commands..",
            "io.sightline.cli.run..",
            "io.sightline.cli.identity..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.sightline.server..", "io.sightline.store..")
        .because("run, agent, kubelogin and get-token must work against any server over the API")
        .check(CLASSES);
  }
}
