import assert from "node:assert/strict";
import OpenAI, { toFile } from "openai";
import { startSimulator } from "../src/simulator/server.ts";
import { videoForTask } from "../src/simulator/video.ts";
import { FIXTURES, ManualClock, sha256 } from "./fixtures/simulator/helpers.ts";

Deno.test("the OpenAI SDK's videos resource creates, polls and downloads through the simulator", async () => {
  const clock = new ManualClock();
  const simulator = startSimulator({ seed: 3, clock, dialect: "lower", renderMs: 2000 });
  try {
    const client = new OpenAI({
      apiKey: "sk-sdk-key",
      baseURL: `${simulator.url}/v1`,
      maxRetries: 0,
    });
    const image = await Deno.readFile(new URL("ref.png", FIXTURES));
    const video = await client.videos.create({
      model: "doubao-seedance-2-0-fast",
      prompt: "A paper boat drifting down a rainy street",
      seconds: "4",
      input_reference: await toFile(image, "ref.png", { type: "image/png" }),
    });
    assert.equal(video.status, "queued");
    assert.equal(video.object, "video");

    const seen: string[] = [];
    let current = video;
    while (current.status !== "completed" && current.status !== "failed") {
      current = await client.videos.retrieve(video.id);
      seen.push(current.status);
      clock.advance(500);
    }
    assert.deepEqual([...new Set(seen)], ["queued", "in_progress", "completed"]);

    const content = await client.videos.downloadContent(video.id);
    const bytes = new Uint8Array(await content.arrayBuffer());
    // Unsent size and resolution take the defaults, 16:9 and 720p.
    const spec = { id: video.id, seconds: 4, size: "16:9", resolution: "720p" };
    assert.deepEqual(bytes, videoForTask(spec));

    // The contract's path: the signed video_url, fetched without the key.
    const signed = (current as unknown as { video_url: string }).video_url;
    const file = new Uint8Array(await (await fetch(signed)).arrayBuffer());
    assert.deepEqual(file, bytes);

    const stats = simulator.stats();
    assert.equal(stats.tasksCreated, 1);
    assert.equal(stats.servedSha256[video.id], await sha256(bytes));
    const [submission] = stats.submissions;
    assert.equal(submission.model, "doubao-seedance-2-0-fast");
    assert.equal(submission.seconds, "4");
    assert.deepEqual(submission.images.map((i) => [i.filename, i.contentType, i.bytes]), [
      ["ref.png", "image/png", image.length],
    ]);
    assert.equal(stats.downloadsWithAuthorization, 0);
    assert.equal(JSON.stringify(stats).includes("sk-sdk-key"), false);
  } finally {
    await simulator.shutdown();
  }
});
