package io.sightline.connections;

import java.util.List;
import java.util.Objects;

/**
 * One field of a connection kind, declared once and read by API validation, redaction, the store
 * (which fields are sealed) and, later, UI forms.
 *
 * @param name the wire name (Azure DevOps' where it has one)
 * @param label a short label for forms and tables
 * @param help one sentence saying what to put there
 * @param type how it is written
 * @param secret write-only: sealed at rest, never returned ({@code hasSecret} instead)
 * @param required whether a create must give it
 * @param defaultValue the value when absent (null: none)
 * @param stored false for a value used during the call only and never kept (e.g. the cluster-admin
 *     kubeconfig used for provisioning)
 * @param aliases other wire names accepted for this field (e.g. ADO's single {@code namespace})
 */
public record FieldSpec(
    String name,
    String label,
    String help,
    FieldType type,
    boolean secret,
    boolean required,
    Object defaultValue,
    boolean stored,
    List<String> aliases) {

  public FieldSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(help, "help");
    Objects.requireNonNull(type, "type");
    aliases = aliases == null ? List.of() : List.copyOf(aliases);
  }

  public static FieldSpec text(String name, String label, String help) {
    return new FieldSpec(name, label, help, FieldType.STRING, false, false, null, true, null);
  }

  public static FieldSpec flag(String name, String label, String help) {
    return new FieldSpec(name, label, help, FieldType.BOOLEAN, false, false, false, true, null);
  }

  public FieldSpec ofType(FieldType t) {
    return new FieldSpec(name, label, help, t, secret, required, defaultValue, stored, aliases);
  }

  public FieldSpec asSecret() {
    return new FieldSpec(name, label, help, type, true, required, defaultValue, stored, aliases);
  }

  public FieldSpec asRequired() {
    return new FieldSpec(name, label, help, type, secret, true, defaultValue, stored, aliases);
  }

  public FieldSpec withDefault(Object value) {
    return new FieldSpec(name, label, help, type, secret, required, value, stored, aliases);
  }

  public FieldSpec notStored() {
    return new FieldSpec(name, label, help, type, secret, required, defaultValue, false, aliases);
  }

  public FieldSpec withAliases(String... names) {
    return new FieldSpec(
        name, label, help, type, secret, required, defaultValue, stored, List.of(names));
  }
}
