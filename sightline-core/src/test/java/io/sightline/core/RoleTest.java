package io.sightline.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RoleTest {

  @Test
  @DisplayName("roles nest: admin ⊇ creator ⊇ user ⊇ reader")
  void rolesNest() {
    assertThat(Role.ADMIN.includes(Role.READER)).isTrue();
    assertThat(Role.CREATOR.includes(Role.USER)).isTrue();
    assertThat(Role.USER.includes(Role.CREATOR)).isFalse();
    assertThat(Role.READER.includes(Role.USER)).isFalse();
  }

  @Test
  @DisplayName("parsing an unknown role names the field and the accepted values")
  void unknownRoleIsA400NamingTheField() {
    assertThat(Role.parse(" Admin ", "role")).isEqualTo(Role.ADMIN);
    assertThatThrownBy(() -> Role.parse("root", "role"))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.field()).isEqualTo("role");
              assertThat(e.getMessage()).contains("admin, creator, user, reader").contains("root");
            });
  }
}
