package io.sightline.store.internal;

import io.sightline.store.LeaderLock;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader lock on PostgreSQL: {@code pg_try_advisory_lock(CLASS, LEADER)} held by a session on a
 * connection of its own, outside the pool (a pooled connection would be recycled, and with it the
 * lock). PostgreSQL releases the lock when that session ends — when the process exits or is killed,
 * the kernel closes its socket and the backend ends at once; after a network split, when TCP
 * keepalive gives up. A holder that cannot reach its session any more drops leadership on its next
 * check.
 */
final class PgLeaderLock implements LeaderLock {
  private static final Logger log = LoggerFactory.getLogger(PgLeaderLock.class);

  /** Advisory lock key space of Sightline ("SLIN"), and the leader's key in it. */
  static final int CLASS = 0x534C494E;

  static final int LEADER = 1;

  private final String url;
  private final Properties props;
  private Connection connection;
  private boolean held;

  PgLeaderLock(String url, String user, String password) {
    this.url = url;
    this.props = new Properties();
    if (user != null) {
      props.setProperty("user", user);
    }
    if (password != null) {
      props.setProperty("password", password);
    }
    props.setProperty("connectTimeout", "3");
    props.setProperty("socketTimeout", "5");
    props.setProperty("tcpKeepAlive", "true");
    props.setProperty("ApplicationName", "sightline-leader-lock");
  }

  @Override
  public synchronized boolean tryHold() {
    try {
      if (connection == null || connection.isClosed()) {
        held = false;
        connection = DriverManager.getConnection(url, props);
        connection.setAutoCommit(true);
      }
      if (held) {
        try (Statement st = connection.createStatement()) {
          st.setQueryTimeout(5);
          st.execute("SELECT 1");
        }
        return true;
      }
      try (PreparedStatement st =
          connection.prepareStatement("SELECT pg_try_advisory_lock(?, ?)")) {
        st.setQueryTimeout(5);
        st.setInt(1, CLASS);
        st.setInt(2, LEADER);
        try (ResultSet rs = st.executeQuery()) {
          held = rs.next() && rs.getBoolean(1);
        }
      }
      return held;
    } catch (SQLException e) {
      if (held) {
        log.warn("leader lock: lost the database session that held it: {}", e.getMessage());
      } else {
        log.debug("leader lock: database not reachable: {}", e.getMessage());
      }
      dropConnection();
      return false;
    }
  }

  private void dropConnection() {
    held = false;
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        // already gone
      }
      connection = null;
    }
  }

  @Override
  public String describe() {
    return "PostgreSQL advisory lock (" + CLASS + ", " + LEADER + ")";
  }

  @Override
  public synchronized void close() {
    if (held && connection != null) {
      try (PreparedStatement st = connection.prepareStatement("SELECT pg_advisory_unlock(?, ?)")) {
        st.setQueryTimeout(5);
        st.setInt(1, CLASS);
        st.setInt(2, LEADER);
        st.execute();
      } catch (SQLException e) {
        log.debug(
            "leader lock: unlock failed (closing the session releases it): {}", e.getMessage());
      }
    }
    dropConnection();
  }
}
