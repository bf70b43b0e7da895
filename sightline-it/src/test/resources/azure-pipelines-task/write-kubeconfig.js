// What an Azure Pipelines Kubernetes task does with its service connection, using the published
// package azure-pipelines-tasks-kubernetes-common: KubernetesConnection(ID, DIR).open() reads the
// ENDPOINT_* variables of endpoint ID from the environment (through azure-pipelines-task-lib),
// writes the kubeconfig the task hands to kubectl as DIR/config and sets KUBECONFIG to it. Then,
// like the task, run COMMAND (if given) with that KUBECONFIG.
//
// Usage: node write-kubeconfig.js ENDPOINT_ID DIR [-- COMMAND ARGS...]
'use strict';
const path = require('path');
const { spawnSync } = require('child_process');

const args = process.argv.slice(2);
const sep = args.indexOf('--');
const [endpoint, dir] = sep < 0 ? args : args.slice(0, sep);
const command = sep < 0 ? [] : args.slice(sep + 1);
if (!endpoint || !dir) {
  console.error('usage: node write-kubeconfig.js ENDPOINT_ID DIR [-- COMMAND ARGS...]');
  process.exit(2);
}
// An agent sets this; task-lib keeps its secret vault's key there (else in the working directory).
process.env.AGENT_TEMPDIRECTORY = process.env.AGENT_TEMPDIRECTORY || dir;

const { KubernetesConnection } = require(
  'azure-pipelines-tasks-kubernetes-common/kubernetesconnection');
const connection = new KubernetesConnection(endpoint, dir);
connection.open();
console.error('write-kubeconfig: wrote ' + path.join(dir, 'config')
  + ', KUBECONFIG=' + process.env.KUBECONFIG
  + (connection.ignoreSSLErrors ? ' (acceptUntrustedCerts)' : ''));

if (command.length > 0) {
  const r = spawnSync(command[0], command.slice(1), { stdio: 'inherit' });
  if (r.error) {
    console.error('write-kubeconfig: cannot run ' + command[0] + ': ' + r.error.message);
    process.exit(127);
  }
  process.exit(r.status === null ? 1 : r.status);
}
