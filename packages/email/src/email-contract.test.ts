import { startSmtpPeer } from '@herald/test-peers/smtp';
import { describeChannelContract } from '@herald/testing';
import { createEmailChannel } from './email-channel';

describeChannelContract('email (SMTP)', async () => {
  const peer = await startSmtpPeer();
  return {
    channel: createEmailChannel({
      smtp: { host: peer.host, port: peer.port, ignoreTLS: true },
      from: 'Herald Contract <contract@herald.test>',
    }),
    content: { subject: 'Contract check', html: '<p>Contract <b>check</b></p>' },
    recipient: { id: 'contract-user', email: 'contract-user@example.test' },
    recipientWithoutAddress: { id: 'contract-user-without-email' },
    teardown: () => peer.close(),
  };
});
