/**
 * A submission as the service reads it: the multipart form of
 * `POST /v1/videos`, then the model rules of the catalog, enforced
 * server-side with the service's codes (`invalid_request` for a missing
 * field, `InvalidParameter` for a value a model does not allow, as the docs'
 * "Create a Seedance video" page describes).
 *
 * @module
 */
import { type Catalog, JOB_DEFAULTS, modelRule, SIZES } from "../catalog.ts";
import { sha256Hex } from "./hex.ts";
import type { ServiceErrorBody } from "./responses.ts";
import type { ReceivedImage } from "./stats.ts";

/** The form fields of one submission, as sent. */
export interface SubmissionForm {
  /** `prompt` as sent, or `null`. */
  prompt: string | null;
  /** `model` as sent, or `null`. */
  model: string | null;
  /** `seconds` as sent, or `null`. */
  seconds: string | null;
  /** `size` as sent, or `null`. */
  size: string | null;
  /** `resolution` as sent, or `null`. */
  resolution: string | null;
  /** Each `input_reference` file part, with its first bytes for the type check. */
  images: Array<ReceivedImage & { head: Uint8Array }>;
  /** `input_reference` parts sent as text instead of files. */
  textReferences: number;
}

/** A submission that passed the rules, with defaults filled in. */
export interface AcceptedSubmission {
  /** The prompt. */
  prompt: string;
  /** The model. */
  model: string;
  /** Whole seconds. */
  seconds: number;
  /** Aspect ratio word. */
  size: string;
  /** Resolution word. */
  resolution: string;
}

/**
 * Read the multipart body of a submit.
 *
 * @param request The POST request.
 * @returns The form, or the 400 error to answer when the body is not a multipart form.
 */
export async function readSubmissionForm(
  request: Request,
): Promise<SubmissionForm | ServiceErrorBody> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!contentType.toLowerCase().startsWith("multipart/form-data")) {
    return {
      code: "invalid_request",
      message: `Content-Type must be multipart/form-data, got "${contentType}"`,
      param: null,
    };
  }
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    return { code: "invalid_request", message: "Cannot parse the multipart/form-data body" };
  }
  const images: SubmissionForm["images"] = [];
  let textReferences = 0;
  for (const part of form.getAll("input_reference")) {
    if (typeof part === "string") {
      textReferences++;
      continue;
    }
    const bytes = new Uint8Array(await part.arrayBuffer());
    images.push({
      filename: part.name,
      contentType: part.type,
      bytes: bytes.length,
      sha256: await sha256Hex(bytes),
      head: bytes.slice(0, 16),
    });
  }
  return {
    prompt: textField(form, "prompt"),
    model: textField(form, "model"),
    seconds: textField(form, "seconds"),
    size: textField(form, "size"),
    resolution: textField(form, "resolution"),
    images,
    textReferences,
  };
}

/**
 * Check a submission against the catalog, as the service does.
 *
 * @param form The fields as sent.
 * @param catalog The model rules.
 * @returns The accepted fields with defaults, or the 400 error to answer.
 */
export function checkSubmission(
  form: SubmissionForm,
  catalog: Catalog,
): { ok: true; submission: AcceptedSubmission } | { ok: false; error: ServiceErrorBody } {
  const fail = (error: ServiceErrorBody): { ok: false; error: ServiceErrorBody } => ({
    ok: false,
    error,
  });
  if (form.prompt === null || form.prompt.trim() === "") {
    return fail({ code: "invalid_request", param: "prompt", message: "prompt is required" });
  }
  if (form.model === null || form.model === "") {
    return fail({ code: "invalid_request", param: "model", message: "model is required" });
  }
  const rule = modelRule(catalog, form.model);
  if (rule === undefined) {
    return fail({
      code: "model_not_found",
      param: "model",
      message: `model "${form.model}" is not available for /v1/videos; expected one of ${
        Object.keys(catalog).join(", ")
      }`,
    });
  }
  const model = form.model;
  const secondsText = blankToNull(form.seconds);
  const seconds = secondsText === null ? JOB_DEFAULTS.seconds : Number(secondsText);
  if (!/^\s*\d+\s*$/.test(secondsText ?? "0")) {
    return fail(invalidParameter(
      "seconds",
      `The parameter \`duration\` specified in the request is not valid: "${secondsText}" is not a whole number of seconds`,
    ));
  }
  if (seconds < rule.seconds.min || seconds > rule.seconds.max) {
    return fail(invalidParameter(
      "seconds",
      `The parameter \`duration\` specified in the request is not valid: ${seconds} is out of range [${rule.seconds.min}, ${rule.seconds.max}] for model ${model}`,
    ));
  }
  const size = blankToNull(form.size) ?? JOB_DEFAULTS.size;
  if (!SIZES.includes(size)) {
    return fail(invalidParameter(
      "size",
      `The parameter \`ratio\` specified in the request is not valid: "${size}"; expected one of ${
        SIZES.join(", ")
      }`,
    ));
  }
  const resolution = blankToNull(form.resolution) ?? JOB_DEFAULTS.resolution;
  if (!rule.resolutions.includes(resolution)) {
    return fail(invalidParameter(
      "resolution",
      `The parameter \`resolution\` specified in the request is not valid: "${resolution}" is not supported by model ${model} (${
        rule.resolutions.join(", ")
      })`,
    ));
  }
  const references = form.images.length + form.textReferences;
  if (references > 0 && rule.maxImages === 0) {
    return fail(invalidParameter(
      "input_reference",
      `the specified task_type r2v does not support model ${model.replace(/^doubao-/, "")}`,
    ));
  }
  if (form.textReferences > 0) {
    return fail(invalidParameter(
      "input_reference",
      "input_reference must be a file part (JPEG, PNG or WebP), not text",
    ));
  }
  if (references > rule.maxImages) {
    return fail(invalidParameter(
      "input_reference",
      `at most ${rule.maxImages} input_reference images are allowed for model ${model}, got ${references}`,
    ));
  }
  for (const image of form.images) {
    if (imageKind(image.head) === null) {
      return fail(invalidParameter(
        "input_reference",
        `input_reference "${image.filename}" is not a JPEG, PNG or WebP image`,
      ));
    }
  }
  return {
    ok: true,
    submission: { prompt: form.prompt, model, seconds, size, resolution },
  };
}

/** The image format by its first 12 bytes; `null` for anything but JPEG, PNG or WebP. */
function imageKind(head: Uint8Array): "jpeg" | "png" | "webp" | null {
  const starts = (bytes: number[], at = 0): boolean => bytes.every((b, i) => head[at + i] === b);
  if (starts([0xff, 0xd8, 0xff])) return "jpeg";
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return "webp";
  return null;
}

function invalidParameter(param: string, message: string): ServiceErrorBody {
  return { code: "InvalidParameter", param, message };
}

function textField(form: FormData, name: string): string | null {
  const value = form.get(name);
  return typeof value === "string" ? value : null;
}

function blankToNull(value: string | null): string | null {
  return value === null || value.trim() === "" ? null : value.trim();
}
