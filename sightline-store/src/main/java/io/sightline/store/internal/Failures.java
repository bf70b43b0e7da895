package io.sightline.store.internal;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;

/** Tells "the database cannot be reached" apart from every other failure. */
final class Failures {
  private Failures() {}

  static boolean isConnectionFailure(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SQLTransientConnectionException
          || c instanceof SQLNonTransientConnectionException
          || c instanceof java.net.ConnectException
          || c instanceof java.net.SocketTimeoutException
          || c instanceof java.io.EOFException) {
        return true;
      }
      if (c instanceof SQLException sql) {
        String state = sql.getSQLState();
        if (state != null
            && (state.startsWith("08") // connection exception
                || state.equals("57P01") // admin shutdown
                || state.equals("57P02") // crash shutdown
                || state.equals("57P03"))) { // cannot connect now (starting up / shutting down)
          return true;
        }
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return false;
  }

  /** H2 90020: the database file is locked by another process. */
  static boolean isH2FileLocked(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SQLException sql && sql.getErrorCode() == 90020) {
        return true;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return false;
  }

  /** The table does not exist (H2 42102..42104, SQL 42S02, PostgreSQL 42P01). */
  static boolean isMissingTable(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SQLException sql) {
        String state = sql.getSQLState();
        int code = sql.getErrorCode();
        if ("42P01".equals(state) || "42S02".equals(state) || (code >= 42102 && code <= 42104)) {
          return true;
        }
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return false;
  }

  /** A unique or primary key constraint was violated (SQLSTATE 23505 on H2 and PostgreSQL). */
  static boolean isUniqueViolation(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SQLException sql && "23505".equals(sql.getSQLState())) {
        return true;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return false;
  }
}
