package io.sightline.connections;

/** How a connection field is written on the wire (and shown in a form). */
public enum FieldType {
  /** A one-line string. */
  STRING,
  /** A multi-line text, e.g. a kubeconfig or a PEM (a file in the CLI, a text area in a form). */
  TEXT,
  /** {@code true} or {@code false}. */
  BOOLEAN,
  /** An array of strings. */
  STRING_LIST,
  /** Where cluster operations run: {@code {"pool": "P"}}, an agent pool (see {@link Via}). */
  VIA
}
