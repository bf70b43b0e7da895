package io.sightline.kubernetes.provision;

import static io.sightline.kubernetes.provision.ProvisionNames.*;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sightline.api.probe.DiagnosisCode;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.provision.internal.Errors;
import io.sightline.kubernetes.provision.internal.KubeVersion;
import io.sightline.kubernetes.provision.internal.Manifests;
import io.sightline.kubernetes.provision.internal.Rollback;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Provisions a connection's home namespace in a cluster with a cluster-admin client (DESIGN.md "How
 * credentials are issued"): the home namespace, the minter ServiceAccount with its narrow Role and
 * its long-lived token, one deployer ServiceAccount per target namespace and a RoleBinding for it
 * there (or, with {@code clusterAdmin}, one ClusterRoleBinding to {@code cluster-admin}), and
 * Sightline's ClusterRole {@code sightline-deploy}.
 *
 * <p>Provisioning is idempotent: run it again for the same connection and it creates what is
 * missing, brings rules and bindings up to date, removes deployers of namespaces no longer named,
 * and replaces the minter's token when {@link ProvisionSpec#rotateMinterToken()} asks. A failure
 * part-way deletes, newest first, every object this run created — never one that existed before.
 *
 * <p>The admin client is used only during the call and never kept; the caller builds it from
 * explicit values (never auto-configuration) and closes it.
 */
public final class Provisioner {
  private static final Logger log = LoggerFactory.getLogger(Provisioner.class);
  private static final Duration POLL = Duration.ofMillis(100);

  /** The objects {@link #provision} creates for {@code spec}, in order, without a cluster. */
  public ProvisionPlan plan(ProvisionSpec spec) {
    return new ProvisionPlan(Manifests.all(spec));
  }

  /** Provisions (or re-provisions) {@code spec}; see the class comment. */
  public ProvisionResult provision(KubernetesClient admin, ProvisionSpec spec) {
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(spec, "spec");
    Run run = new Run(admin, spec);
    KubeVersion version =
        call(
            "read the server version (/version)",
            () -> KubeVersion.of(admin.getKubernetesVersion()));
    run.preflight();
    try {
      run.apply();
      MinterToken token = run.minterToken(version);
      run.converge();
      log.info(
          "provisioned connection {} in home namespace {} (Kubernetes {}): {} created, {} updated,"
              + " {} deleted",
          spec.connection(),
          spec.homeNamespace(),
          version,
          run.rollback.created().size(),
          run.updated.size(),
          run.deleted.size());
      Map<String, String> deployers = new LinkedHashMap<>();
      spec.targetNamespaces().forEach(ns -> deployers.put(ns, deployer(ns)));
      return new ProvisionResult(
          spec.homeNamespace(),
          MINTER_SERVICE_ACCOUNT,
          token.token(),
          token.caPem(),
          token.secretName(),
          deployers,
          version.toString(),
          run.rollback.created(),
          run.updated,
          run.deleted,
          run.warnings);
    } catch (RuntimeException e) {
      List<ObjectRef> created = run.rollback.created();
      log.warn(
          "provisioning connection {} failed ({}); rolling back {} object(s) this run created",
          spec.connection(),
          Errors.reason(e),
          created.size());
      List<String> leftBehind = run.rollback.run();
      SightlineException wrapped = Errors.wrap("provision connection " + spec.connection(), e);
      if (leftBehind.isEmpty()) {
        throw wrapped;
      }
      throw new SightlineException(
          wrapped.code(),
          wrapped.status(),
          wrapped.field(),
          wrapped.getMessage()
              + ". Rolling back left these objects behind; delete them by hand: "
              + String.join(", ", leftBehind),
          wrapped.retryAfterSeconds(),
          e);
    }
  }

  /**
   * Deletes what {@link #provision} created for {@code spec}: bindings, lease Secrets, the minter's
   * token, ServiceAccounts, the minter's Role, and the home namespace when Sightline created it;
   * the shared ClusterRole {@code sightline-deploy} only when no other connection still binds it.
   * Target namespaces are never deleted. Best effort: what cannot be deleted is listed.
   */
  public DeprovisionResult deprovision(KubernetesClient admin, ProvisionSpec spec) {
    Objects.requireNonNull(admin, "admin");
    String home = spec.homeNamespace();
    String connectionLabel = connectionLabel(spec.connection());
    List<ObjectRef> deleted = new ArrayList<>();
    List<String> leftBehind = new ArrayList<>();
    List<String> warnings = new ArrayList<>();

    Set<String> targets = new LinkedHashSet<>(spec.targetNamespaces());
    try {
      for (ServiceAccount sa : deployersInCluster(admin, spec)) {
        String ns = sa.getMetadata().getLabels().get(LABEL_TARGET_NAMESPACE);
        if (ns != null) {
          targets.add(ns);
        }
      }
    } catch (RuntimeException e) {
      warnings.add(
          "could not list the deployers in "
              + home
              + " ("
              + Errors.reason(e)
              + "); only the target namespaces named were cleaned");
    }

    Deletion del = new Deletion(deleted, leftBehind);
    del.delete(
        new ObjectRef("ClusterRoleBinding", null, clusterAdminBinding(spec.connection())),
        () ->
            admin
                .rbac()
                .clusterRoleBindings()
                .withName(clusterAdminBinding(spec.connection()))
                .delete());
    for (String ns : targets) {
      String name = deployerRoleBinding(spec.connection());
      del.delete(
          new ObjectRef("RoleBinding", ns, name),
          () -> admin.rbac().roleBindings().inNamespace(ns).withName(name).delete());
    }

    Namespace homeNs = null;
    try {
      homeNs = admin.namespaces().withName(home).get();
    } catch (RuntimeException e) {
      leftBehind.add("namespace/" + home + ": " + Errors.reason(e));
    }
    if (homeNs != null) {
      try {
        for (Secret s :
            admin
                .secrets()
                .inNamespace(home)
                .withLabel(LABEL_MANAGED_BY, MANAGED_BY)
                .withLabel(LABEL_COMPONENT, "lease")
                .list()
                .getItems()) {
          String name = s.getMetadata().getName();
          del.delete(
              new ObjectRef("Secret", home, name),
              () -> admin.secrets().inNamespace(home).withName(name).delete());
        }
      } catch (RuntimeException e) {
        leftBehind.add("lease Secrets in " + home + ": " + Errors.reason(e));
      }
      del.delete(
          new ObjectRef("Secret", home, MINTER_TOKEN_SECRET),
          () -> admin.secrets().inNamespace(home).withName(MINTER_TOKEN_SECRET).delete());
      del.delete(
          new ObjectRef("RoleBinding", home, MINTER_ROLE_BINDING),
          () ->
              admin.rbac().roleBindings().inNamespace(home).withName(MINTER_ROLE_BINDING).delete());
      del.delete(
          new ObjectRef("Role", home, MINTER_ROLE),
          () -> admin.rbac().roles().inNamespace(home).withName(MINTER_ROLE).delete());
      for (String ns : targets) {
        String name = deployer(ns);
        del.delete(
            new ObjectRef("ServiceAccount", home, name),
            () -> admin.serviceAccounts().inNamespace(home).withName(name).delete());
      }
      del.delete(
          new ObjectRef("ServiceAccount", home, MINTER_SERVICE_ACCOUNT),
          () ->
              admin.serviceAccounts().inNamespace(home).withName(MINTER_SERVICE_ACCOUNT).delete());
      Map<String, String> labels = homeNs.getMetadata().getLabels();
      if (labels != null && connectionLabel.equals(labels.get(LABEL_CONNECTION))) {
        del.delete(
            new ObjectRef("Namespace", null, home),
            () -> admin.namespaces().withName(home).delete());
      } else {
        warnings.add(
            "namespace "
                + home
                + " existed before Sightline provisioned it, so it was kept (Sightline's objects"
                + " in it were deleted)");
      }
    }

    if (spec.deployerRole().isSightlineDeploy()) {
      try {
        List<String> users = otherUsersOfDeployRole(admin, connectionLabel);
        if (users.isEmpty()) {
          del.delete(
              new ObjectRef("ClusterRole", null, DEPLOY_CLUSTER_ROLE),
              () -> admin.rbac().clusterRoles().withName(DEPLOY_CLUSTER_ROLE).delete());
        } else {
          warnings.add(
              "ClusterRole "
                  + DEPLOY_CLUSTER_ROLE
                  + " was kept: still bound by "
                  + String.join(", ", users));
        }
      } catch (RuntimeException e) {
        warnings.add(
            "ClusterRole "
                + DEPLOY_CLUSTER_ROLE
                + " was kept: could not check whether other connections bind it ("
                + Errors.reason(e)
                + ")");
      }
    }
    log.info(
        "deprovisioned connection {}: {} deleted, {} left behind",
        spec.connection(),
        deleted.size(),
        leftBehind.size());
    return new DeprovisionResult(deleted, leftBehind, warnings);
  }

  // ---------------------------------------------------------------------------------------------

  private static List<ServiceAccount> deployersInCluster(KubernetesClient c, ProvisionSpec spec) {
    return c.serviceAccounts()
        .inNamespace(spec.homeNamespace())
        .withLabel(LABEL_MANAGED_BY, MANAGED_BY)
        .withLabel(LABEL_CONNECTION, connectionLabel(spec.connection()))
        .withLabel(LABEL_COMPONENT, "deployer")
        .list()
        .getItems();
  }

  private static List<String> otherUsersOfDeployRole(KubernetesClient c, String connectionLabel) {
    List<String> users = new ArrayList<>();
    for (RoleBinding rb :
        c.rbac()
            .roleBindings()
            .inAnyNamespace()
            .withLabel(LABEL_MANAGED_BY, MANAGED_BY)
            .list()
            .getItems()) {
      Map<String, String> labels = rb.getMetadata().getLabels();
      String owner = labels == null ? null : labels.get(LABEL_CONNECTION);
      if (rb.getRoleRef() != null
          && DEPLOY_CLUSTER_ROLE.equals(rb.getRoleRef().getName())
          && "ClusterRole".equals(rb.getRoleRef().getKind())
          && !connectionLabel.equals(owner)) {
        users.add("connection " + owner + " (" + ObjectRef.of(rb) + ")");
      }
    }
    return users;
  }

  private static <T> T call(String what, Supplier<T> action) {
    try {
      return action.get();
    } catch (RuntimeException e) {
      throw Errors.wrap(what, e);
    }
  }

  private record MinterToken(SecretValue token, String caPem, String secretName) {}

  private static final class Deletion {
    final List<ObjectRef> deleted;
    final List<String> leftBehind;

    Deletion(List<ObjectRef> deleted, List<String> leftBehind) {
      this.deleted = deleted;
      this.leftBehind = leftBehind;
    }

    void delete(ObjectRef ref, Supplier<List<?>> action) {
      try {
        List<?> details = action.get();
        if (details != null && !details.isEmpty()) {
          deleted.add(ref);
          log.info("deleted {}", ref);
        }
      } catch (RuntimeException e) {
        if (e instanceof KubernetesClientException ke && ke.getCode() == 404) {
          return;
        }
        leftBehind.add(ref + ": " + Errors.reason(e));
      }
    }
  }

  /** One provisioning run: what it created (for rollback), updated, deleted and warned about. */
  private static final class Run {
    final KubernetesClient c;
    final ProvisionSpec spec;
    final Rollback rollback = new Rollback();
    final List<ObjectRef> updated = new ArrayList<>();
    final List<ObjectRef> deleted = new ArrayList<>();
    final List<String> warnings = new ArrayList<>();
    final Set<String> missingTargets = new LinkedHashSet<>();
    boolean homeExists;

    Run(KubernetesClient c, ProvisionSpec spec) {
      this.c = c;
      this.spec = spec;
    }

    /** Everything that can be refused is refused here, before anything is created. */
    void preflight() {
      for (String ns : spec.targetNamespaces()) {
        if (call("read namespace " + ns, () -> c.namespaces().withName(ns).get()) == null) {
          missingTargets.add(ns);
        }
      }
      if (!missingTargets.isEmpty() && !spec.createNamespace()) {
        throw SightlineException.badRequest(
            "NAMESPACE_NOT_FOUND",
            "namespace",
            "these target namespaces do not exist: "
                + String.join(", ", missingTargets)
                + ". Create them first, or set createNamespace (--create-namespace)");
      }
      Namespace home =
          call(
              "read namespace " + spec.homeNamespace(),
              () -> c.namespaces().withName(spec.homeNamespace()).get());
      homeExists = home != null;
      if (home != null) {
        Map<String, String> labels = home.getMetadata().getLabels();
        String owner = labels == null ? null : labels.get(LABEL_CONNECTION);
        if (owner != null && !owner.equals(connectionLabel(spec.connection()))) {
          throw SightlineException.conflict(
              "HOME_NAMESPACE_TAKEN",
              "namespace "
                  + spec.homeNamespace()
                  + " is the home namespace of connection "
                  + owner
                  + "; choose another homeNamespace");
        }
        if (owner == null) {
          warnings.add(
              "home namespace "
                  + spec.homeNamespace()
                  + " existed before and is not labelled as Sightline's: deprovisioning will"
                  + " keep it; anyone who may read Secrets there can read the minter's token");
        }
      }
      if (spec.deployerRole().isSightlineDeploy() && !spec.clusterAdmin()) {
        ClusterRole existing =
            call(
                "read clusterrole " + DEPLOY_CLUSTER_ROLE,
                () -> c.rbac().clusterRoles().withName(DEPLOY_CLUSTER_ROLE).get());
        if (existing != null && !isManaged(existing)) {
          throw SightlineException.conflict(
              "CLUSTER_ROLE_NOT_MANAGED",
              "ClusterRole "
                  + DEPLOY_CLUSTER_ROLE
                  + " exists and was not created by Sightline (no label "
                  + LABEL_MANAGED_BY
                  + "="
                  + MANAGED_BY
                  + "); delete it, or choose deployerRole (edit, admin or a ClusterRole name)");
        }
      } else if (!spec.clusterAdmin()) {
        String role = spec.deployerRole().clusterRole();
        if (call("read clusterrole " + role, () -> c.rbac().clusterRoles().withName(role).get())
            == null) {
          throw SightlineException.badRequest(
              "DEPLOYER_ROLE_NOT_FOUND",
              "deployerRole",
              "ClusterRole "
                  + role
                  + " does not exist in the cluster; create it first or choose sightline-deploy,"
                  + " edit or admin");
        }
      }
      if (spec.clusterAdmin()) {
        warnings.add(
            "clusterAdmin: every task of connection "
                + spec.connection()
                + " is bound to cluster-admin and is all-powerful in this cluster");
      }
    }

    void apply() {
      if (!homeExists) {
        create(Manifests.homeNamespace(spec));
      }
      for (String ns : missingTargets) {
        create(Manifests.targetNamespace(spec, ns));
      }
      if (spec.deployerRole().isSightlineDeploy() && !spec.clusterAdmin()) {
        ClusterRole desired = Manifests.deployClusterRole();
        ensure(
            desired,
            existing -> {
              if (sameRules(existing.getRules(), desired.getRules())) {
                return null;
              }
              existing.setRules(desired.getRules());
              return existing;
            });
      }
      ensure(Manifests.minterServiceAccount(spec), existing -> null);
      for (String ns : spec.targetNamespaces()) {
        ensure(Manifests.deployerServiceAccount(spec, ns), existing -> null);
      }
      Role minterRole = Manifests.minterRole(spec);
      ensure(
          minterRole,
          existing -> {
            if (sameRules(existing.getRules(), minterRole.getRules())) {
              return null;
            }
            existing.setRules(minterRole.getRules());
            return existing;
          });
      ensureBinding(Manifests.minterRoleBinding(spec));
      if (spec.clusterAdmin()) {
        ensureBinding(Manifests.clusterAdminBinding(spec));
      } else {
        for (String ns : spec.targetNamespaces()) {
          ensureBinding(Manifests.deployerRoleBinding(spec, ns));
        }
      }
    }

    /**
     * The minter's long-lived token. On ≥ 1.24, and whenever a token is rotated, from the Secret
     * {@code sightline-minter-token} created explicitly; on first provisioning of a 1.23 cluster,
     * from the Secret the token controller created for the ServiceAccount.
     */
    MinterToken minterToken(KubeVersion version) {
      String home = spec.homeNamespace();
      Secret explicit =
          call(
              "read secret " + home + "/" + MINTER_TOKEN_SECRET,
              () -> c.secrets().inNamespace(home).withName(MINTER_TOKEN_SECRET).get());
      if (explicit != null && (spec.rotateMinterToken() || !isMinterTokenSecret(explicit))) {
        deleteNow(Manifests.minterTokenSecret(spec));
        explicit = null;
      }
      if (spec.rotateMinterToken() && !version.createsNoTokenSecrets()) {
        for (String old : autoTokenSecrets()) {
          call(
              "delete secret " + home + "/" + old,
              () -> c.secrets().inNamespace(home).withName(old).delete());
          deleted.add(new ObjectRef("Secret", home, old));
        }
      }
      if (explicit == null && (version.createsNoTokenSecrets() || spec.rotateMinterToken())) {
        create(Manifests.minterTokenSecret(spec));
        return waitForToken(MINTER_TOKEN_SECRET);
      }
      if (explicit != null) {
        return waitForToken(MINTER_TOKEN_SECRET);
      }
      // Kubernetes < 1.24: the token controller creates a token Secret for every ServiceAccount.
      return waitForToken(waitForAutoTokenSecret());
    }

    /** The token Secrets the minter ServiceAccount lists now (Kubernetes < 1.24). */
    private List<String> autoTokenSecrets() {
      String home = spec.homeNamespace();
      ServiceAccount sa =
          call(
              "read serviceaccount " + home + "/" + MINTER_SERVICE_ACCOUNT,
              () -> c.serviceAccounts().inNamespace(home).withName(MINTER_SERVICE_ACCOUNT).get());
      List<String> names = new ArrayList<>();
      if (sa == null || sa.getSecrets() == null) {
        return names;
      }
      for (ObjectReference ref : sa.getSecrets()) {
        String name = ref.getName();
        if (name == null || name.equals(MINTER_TOKEN_SECRET)) {
          continue;
        }
        Secret s =
            call(
                "read secret " + home + "/" + name,
                () -> c.secrets().inNamespace(home).withName(name).get());
        if (s != null && isMinterTokenSecret(s)) {
          names.add(name);
        }
      }
      return names;
    }

    /** Removes deployers of namespaces no longer named, and bindings of the other mode. */
    void converge() {
      String home = spec.homeNamespace();
      for (ServiceAccount sa :
          call("list deployers in " + home, () -> deployersInCluster(c, spec))) {
        String ns = sa.getMetadata().getLabels().get(LABEL_TARGET_NAMESPACE);
        if (ns == null || spec.targetNamespaces().contains(ns)) {
          continue;
        }
        String rb = deployerRoleBinding(spec.connection());
        deleteIfPresent(
            new ObjectRef("RoleBinding", ns, rb),
            () -> c.rbac().roleBindings().inNamespace(ns).withName(rb).delete());
        String name = sa.getMetadata().getName();
        deleteIfPresent(
            new ObjectRef("ServiceAccount", home, name),
            () -> c.serviceAccounts().inNamespace(home).withName(name).delete());
      }
      if (spec.clusterAdmin()) {
        for (String ns : spec.targetNamespaces()) {
          String rb = deployerRoleBinding(spec.connection());
          deleteIfPresent(
              new ObjectRef("RoleBinding", ns, rb),
              () -> c.rbac().roleBindings().inNamespace(ns).withName(rb).delete());
        }
      } else {
        String crb = clusterAdminBinding(spec.connection());
        deleteIfPresent(
            new ObjectRef("ClusterRoleBinding", null, crb),
            () -> c.rbac().clusterRoleBindings().withName(crb).delete());
      }
    }

    private void deleteIfPresent(ObjectRef ref, Supplier<List<?>> action) {
      List<?> details = call("delete " + ref, action);
      if (details != null && !details.isEmpty()) {
        deleted.add(ref);
        log.info("deleted {} (no longer part of connection {})", ref, spec.connection());
      }
    }

    private String waitForAutoTokenSecret() {
      String home = spec.homeNamespace();
      long deadline = System.nanoTime() + spec.tokenWait().toNanos();
      while (true) {
        List<String> names = autoTokenSecrets();
        if (!names.isEmpty()) {
          return names.get(0);
        }
        if (System.nanoTime() >= deadline) {
          throw new SightlineException(
              DiagnosisCode.SERVICE_ACCOUNT_TOKEN_SECRET_MISSING.name(),
              504,
              null,
              "the cluster (Kubernetes < 1.24) created no token Secret for serviceaccount "
                  + home
                  + "/"
                  + MINTER_SERVICE_ACCOUNT
                  + " within "
                  + spec.tokenWait().toSeconds()
                  + " s; check that kube-controller-manager's token controller runs, then"
                  + " provision again",
              null,
              null);
        }
        sleep();
      }
    }

    private MinterToken waitForToken(String secretName) {
      String home = spec.homeNamespace();
      long deadline = System.nanoTime() + spec.tokenWait().toNanos();
      while (true) {
        Secret s =
            call(
                "read secret " + home + "/" + secretName,
                () -> c.secrets().inNamespace(home).withName(secretName).get());
        if (s != null && s.getData() != null) {
          String token = s.getData().get("token");
          if (token != null && !token.isBlank()) {
            String ca = s.getData().get("ca.crt");
            return new MinterToken(
                SecretValue.ofUtf8(Base64.getMimeDecoder().decode(token)),
                ca == null || ca.isBlank()
                    ? null
                    : new String(Base64.getMimeDecoder().decode(ca), StandardCharsets.UTF_8),
                secretName);
          }
        }
        if (System.nanoTime() >= deadline) {
          throw new SightlineException(
              DiagnosisCode.TOKEN_NOT_POPULATED.name(),
              504,
              null,
              "the token controller did not fill secret "
                  + home
                  + "/"
                  + secretName
                  + " (type "
                  + Manifests.SERVICE_ACCOUNT_TOKEN_TYPE
                  + ") within "
                  + spec.tokenWait().toMillis()
                  + " ms; check that kube-controller-manager runs with its token controller"
                  + " (--service-account-private-key-file), then provision again",
              null,
              null);
        }
        sleep();
      }
    }

    private static void sleep() {
      try {
        Thread.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SightlineException(
            "INTERRUPTED", 503, null, "provisioning was interrupted", 1, e);
      }
    }

    private void create(HasMetadata desired) {
      ObjectRef ref = ObjectRef.of(desired);
      call("create " + ref, () -> c.resource(desired).create());
      rollback.created(ref, () -> c.resource(desired).delete());
      log.info("created {}", ref);
    }

    private void deleteNow(HasMetadata object) {
      ObjectRef ref = ObjectRef.of(object);
      call("delete " + ref, () -> c.resource(object).delete());
      deleted.add(ref);
      log.info("deleted {} (replaced)", ref);
    }

    private <T extends HasMetadata> void ensure(
        T desired, java.util.function.UnaryOperator<T> merge) {
      ObjectRef ref = ObjectRef.of(desired);
      T existing = call("read " + ref, () -> c.resource(desired).get());
      if (existing == null) {
        create(desired);
        return;
      }
      T merged = merge.apply(existing);
      if (merged != null) {
        call("update " + ref, () -> c.resource(merged).update());
        updated.add(ref);
        log.info("updated {}", ref);
      }
    }

    private void ensureBinding(HasMetadata desired) {
      ObjectRef ref = ObjectRef.of(desired);
      HasMetadata existing = call("read " + ref, () -> c.resource(desired).get());
      if (existing == null) {
        create(desired);
        return;
      }
      if (!sameRoleRef(roleRef(existing), roleRef(desired))) {
        // roleRef cannot change: replace the binding.
        call("delete " + ref, () -> c.resource(existing).delete());
        call("create " + ref, () -> c.resource(desired).create());
        updated.add(ref);
        log.info("replaced {} (its role changed)", ref);
        return;
      }
      if (!sameSubjects(subjects(existing), subjects(desired))) {
        setSubjects(existing, subjects(desired));
        call("update " + ref, () -> c.resource(existing).update());
        updated.add(ref);
        log.info("updated {}", ref);
      }
    }
  }

  private static boolean isManaged(HasMetadata o) {
    Map<String, String> labels = o.getMetadata().getLabels();
    return labels != null && MANAGED_BY.equals(labels.get(LABEL_MANAGED_BY));
  }

  private static boolean isMinterTokenSecret(Secret s) {
    Map<String, String> annotations = s.getMetadata().getAnnotations();
    return Manifests.SERVICE_ACCOUNT_TOKEN_TYPE.equals(s.getType())
        && annotations != null
        && MINTER_SERVICE_ACCOUNT.equals(
            annotations.get(Manifests.SERVICE_ACCOUNT_NAME_ANNOTATION));
  }

  private static RoleRef roleRef(HasMetadata binding) {
    if (binding instanceof RoleBinding rb) {
      return rb.getRoleRef();
    }
    return ((ClusterRoleBinding) binding).getRoleRef();
  }

  private static List<Subject> subjects(HasMetadata binding) {
    List<Subject> subjects =
        binding instanceof RoleBinding rb
            ? rb.getSubjects()
            : ((ClusterRoleBinding) binding).getSubjects();
    return subjects == null ? List.of() : subjects;
  }

  private static void setSubjects(HasMetadata binding, List<Subject> subjects) {
    if (binding instanceof RoleBinding rb) {
      rb.setSubjects(subjects);
    } else {
      ((ClusterRoleBinding) binding).setSubjects(subjects);
    }
  }

  private static boolean sameRoleRef(RoleRef a, RoleRef b) {
    return a != null
        && b != null
        && Objects.equals(a.getKind(), b.getKind())
        && Objects.equals(a.getName(), b.getName());
  }

  private static boolean sameSubjects(List<Subject> a, List<Subject> b) {
    return a.stream()
        .map(Provisioner::key)
        .collect(java.util.stream.Collectors.toSet())
        .equals(b.stream().map(Provisioner::key).collect(java.util.stream.Collectors.toSet()));
  }

  private static String key(Subject s) {
    return s.getKind() + "/" + s.getNamespace() + "/" + s.getName();
  }

  static boolean sameRules(List<PolicyRule> a, List<PolicyRule> b) {
    return keys(a).equals(keys(b));
  }

  private static List<String> keys(List<PolicyRule> rules) {
    if (rules == null) {
      return List.of();
    }
    return rules.stream()
        .map(
            r ->
                String.join(",", orEmpty(r.getApiGroups()))
                    + "|"
                    + String.join(",", orEmpty(r.getResources()))
                    + "|"
                    + String.join(",", orEmpty(r.getResourceNames()))
                    + "|"
                    + String.join(",", orEmpty(r.getVerbs()))
                    + "|"
                    + String.join(",", orEmpty(r.getNonResourceURLs())))
        .sorted()
        .toList();
  }

  private static List<String> orEmpty(List<String> l) {
    return l == null ? List.of() : l;
  }
}
