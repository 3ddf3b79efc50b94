// The sending port: how the domain sends an SMS/MMS without seeing the RingCentral SDK
// (implemented in src/integrations/ringcentral/sms.ts), and what RingCentral says it stored.

export type DeliveryStatus = "QUEUED" | "SENT" | "DELIVERED" | "FAILED";

export interface OutgoingAttachment {
  fileName: string;
  contentType: string;
  content: Buffer;
}

/** What RingCentral stored for an attachment, so it can be downloaded later (R4.5). */
export interface StoredAttachment {
  ringCentralId: string;
  contentType: string;
  fileName?: string | null;
  sizeBytes?: number | null;
  contentUri: string;
}

export interface SentMessage {
  ringCentralId: string;
  status: DeliveryStatus;
  createdAt: Date;
  /** The media attachments as RingCentral stored them, when it says. */
  attachments?: StoredAttachment[];
}

/** Sends one SMS or MMS from a company number; implemented over the RingCentral SDK (integrations). */
export interface SmsSender {
  send(input: { from: string; to: string; text: string; attachments: OutgoingAttachment[] }): Promise<SentMessage>;
}

/** A sender, or how to get the one for a channel (the channel is only known once the target is resolved). */
export type SmsSenderSource = SmsSender | ((channelId: string) => Promise<SmsSender>);
