// Runs one createPrediction call of the official JavaScript SDK (flowise-sdk) and prints what the SDK gave back.
//
// Input (stdin, JSON): {"sdkDir": <dir whose node_modules holds flowise-sdk>, "baseUrl": ..., "deadlineMs": ...,
//                       "prediction": <the PredictionData given to createPrediction>}
// The API key comes from the environment variable FC_SDK_API_KEY (never the command line), and is never printed.
// Output (stdout, one JSON line):
//   {"outcome": "returned", "streamed": false, "value": <what createPrediction resolved to>}
//   {"outcome": "returned", "streamed": true, "yielded": [<each event the SDK's iterator yielded>]}
//   {"outcome": "raised", "streamed": <bool|null>, "yielded": [...], "error": {"name": ..., "message": ...}}
//   {"outcome": "timeout", ...} when deadlineMs passes first (the process then exits 3)
"use strict";

const path = require("path");

function readStdin() {
  return new Promise((resolve, reject) => {
    let text = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk) => { text += chunk; });
    process.stdin.on("end", () => resolve(text));
    process.stdin.on("error", reject);
  });
}

function emit(result, code) {
  process.stdout.write(JSON.stringify(result) + "\n", () => process.exit(code));
}

async function main() {
  const input = JSON.parse(await readStdin());
  const apiKey = process.env.FC_SDK_API_KEY || "";
  delete process.env.FC_SDK_API_KEY;
  const state = { streamed: null, yielded: [] };
  const timer = setTimeout(() => {
    emit({ outcome: "timeout", streamed: state.streamed, yielded: state.yielded,
           error: { name: "Timeout", message: `no result within ${input.deadlineMs} ms` } }, 3);
  }, input.deadlineMs);
  const sdk = require(path.join(input.sdkDir, "node_modules", "flowise-sdk"));
  const client = new sdk.FlowiseClient({ baseUrl: input.baseUrl, apiKey });
  try {
    const result = await client.createPrediction(input.prediction);
    if (result && typeof result[Symbol.asyncIterator] === "function") {
      state.streamed = true;
      for await (const event of result) {
        state.yielded.push(event);
      }
      clearTimeout(timer);
      emit({ outcome: "returned", streamed: true, yielded: state.yielded }, 0);
    } else {
      state.streamed = false;
      clearTimeout(timer);
      emit({ outcome: "returned", streamed: false, value: result === undefined ? null : result }, 0);
    }
  } catch (error) {
    clearTimeout(timer);
    const name = (error && error.name) || typeof error;
    const message = String((error && error.message) || error).split(apiKey || "\u0000").join("[REDACTED]");
    emit({ outcome: "raised", streamed: state.streamed, yielded: state.yielded, error: { name, message } }, 0);
  }
}

main().catch((error) => {
  emit({ outcome: "harness_error", error: { name: String(error && error.name), message: String(error && error.message) } }, 2);
});
