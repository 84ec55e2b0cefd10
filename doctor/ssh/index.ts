/** `doctor ssh`: validate a release on a real dev host over the system OpenSSH client. */
export { validateOverSsh, type SshValidateOptions } from './chain.js';
export { OpenSshClient, type SshClient, type SshConnection, type SshSettings, type SshTarget, type RemoteResult, type Forward } from './client.js';
export { sshFault, type SshFaultCode } from './faults.js';
export { parseHostFacts, hostFault, type HostFacts } from './host-facts.js';
export { INSTALL_MARKER } from './install.js';
export { hostPolicy } from './requirements.js';
export { renderSshHuman, redact, CHAIN, SSH_CHECKS, type SshReport, type SshTarballReport, type HostRecord, type ChainStep, type ChainStepName, type SshFault } from './record.js';
export { sshOptions, type RawSshArgs } from './options.js';
