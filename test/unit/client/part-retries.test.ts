import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileServiceClient, FileServiceError, memoryResumeStore } from '../../../client';

const MiB = 1024 * 1024;
const partSize = 8 * MiB;

/**
 * A stand-in for the service and S3 that answers the routes of a multipart upload. Each part
 * URL carries a serial number; `refuse(number)` says how a PUT to that URL is answered.
 */
class FakeService {
  server: Server = createServer((request, response) => void this.handle(request, response));
  url = '';
  log: string[] = [];
  received = new Map<number, number>();
  refuse: (serial: number, part: number) => { status: number; body: string } | undefined = () => undefined;
  private serial = 0;

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const json = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(value));
    };
    this.log.push(`${request.method} ${url.pathname}`);
    if (request.method === 'POST' && url.pathname === '/v2/files/upload') {
      return json(201, { s3ref: { bucket: 'b', key: 'k' }, upload_method: 'multipart', upload_id: 'u1', part_size: partSize, max_size_bytes: 1e9 });
    }
    if (request.method === 'POST' && url.pathname === '/v1/files/upload/u1/parts') {
      const [number] = (JSON.parse(body.toString()) as { part_numbers: number[] }).part_numbers;
      this.serial += 1;
      return json(200, { upload_id: 'u1', parts: [{ part_number: number, url: `${this.url}/s3/k?partNumber=${number}&serial=${this.serial}` }] });
    }
    if (request.method === 'PUT' && url.pathname === '/s3/k') {
      const part = Number(url.searchParams.get('partNumber'));
      const refusal = this.refuse(Number(url.searchParams.get('serial')), part);
      if (refusal) {
        response.writeHead(refusal.status, { 'content-type': 'application/xml' });
        return void response.end(refusal.body);
      }
      this.received.set(part, body.length);
      response.writeHead(200, { etag: '"e"' });
      return void response.end();
    }
    if (request.method === 'POST' && url.pathname === '/v2/files') {
      return json(201, { _id: 'f1', filename: 'x.bin', size_bytes: [...this.received.values()].reduce((a, b) => a + b, 0) });
    }
    json(404, { status: 404, error: 'Not found' });
  }
}

let service: FakeService;

beforeEach(async () => {
  service = new FakeService();
  await service.start();
});

afterEach(async () => {
  await new Promise((resolve) => service.server.close(resolve));
});

describe('the upload of a part', () => {
  it('asks for a new URL when S3 refuses an expired one, and sends the part with it', async () => {
    // Prepare
    service.refuse = (serial) => (serial === 1 ? { status: 403, body: '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>' } : undefined);
    const files = createFileServiceClient({ baseUrl: service.url, token: 't' });

    // Act
    const saved = await files.uploadFile(new Uint8Array(9 * MiB), { filename: 'x.bin', multipartThresholdBytes: 8 * MiB, concurrency: 1, resumeStore: memoryResumeStore() });

    // Assess
    expect(saved.size_bytes).toBe(9 * MiB);
    expect(service.log.filter((line) => line.endsWith('/parts'))).toHaveLength(3); // part 1 twice, part 2 once
    expect(Object.fromEntries(service.received)).toEqual({ 1: 8 * MiB, 2: MiB });
  });

  it("rejects with S3's message when it keeps refusing, and the upload stays remembered", async () => {
    // Prepare
    service.refuse = (_serial, part) => (part === 2 ? { status: 400, body: '<Error><Code>EntityTooSmall</Code><Message>Your proposed upload is smaller than the minimum</Message></Error>' } : undefined);
    const files = createFileServiceClient({ baseUrl: service.url, token: 't' });
    const store = memoryResumeStore();

    const bytes = new Uint8Array(9 * MiB);
    const options = { filename: 'x.bin', multipartThresholdBytes: 8 * MiB, concurrency: 1, resumeStore: store };

    // Act
    const error = await files.uploadFile(bytes, options).catch((caught: unknown) => caught);
    const firstLog = service.log.splice(0);
    service.refuse = () => undefined;
    await files.uploadFile(bytes, options);

    // Assess
    expect(error).toBeInstanceOf(FileServiceError);
    expect(error).toMatchObject({ status: 400, error: 'Your proposed upload is smaller than the minimum' });
    expect(firstLog).not.toContain('POST /v2/files');
    expect(service.log[0], 'the next call asks which parts S3 holds').toBe('GET /v1/files/upload/u1/parts');
  });
});
