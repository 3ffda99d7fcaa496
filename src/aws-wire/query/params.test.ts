import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PhantomError, ValidationError } from "../../core/errors.js";
import { MAX_PARAMS } from "../limits.js";
import { parseParams } from "./params.js";

const FORM = "application/x-www-form-urlencoded; charset=utf-8";
const none = Buffer.alloc(0);
/** A POST; pass `null` for no Content-Type header. */
const post = (body: string | Buffer, contentType: string | null = FORM, query = "") =>
  parseParams(query, typeof body === "string" ? Buffer.from(body) : body, contentType ?? undefined, "POST");
const get = (query: string) => parseParams(query, none, undefined, "GET");

function throwsCode(fn: () => unknown, code: string, mentions?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PhantomError, `expected a PhantomError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (mentions !== undefined) assert.ok(e.message.includes(mentions), `"${e.message}" should mention ${mentions}`);
    return true;
  });
}

describe("parseParams", () => {
  it("decodes the query string, then the form body, in order", () => {
    assert.deepEqual(post("B=2&A=1", FORM, "Z=0&Y=9"), [
      ["Z", "0"],
      ["Y", "9"],
      ["B", "2"],
      ["A", "1"],
    ]);
  });

  it("reads + as a space and percent-escapes as UTF-8", () => {
    assert.deepEqual(get("A=a+b%2Bc&B=%C3%A9%F0%9F%98%80&C=%2F%3D%26"), [
      ["A", "a b+c"],
      ["B", "é😀"],
      ["C", "/=&"],
    ]);
    assert.deepEqual(post("N%2Ba+me=v"), [["N+a me", "v"]]);
  });

  it("keeps raw UTF-8 in a body", () => {
    assert.deepEqual(post(Buffer.from("A=héllo", "utf8")), [["A", "héllo"]]);
  });

  it("takes a value up to the next & only, and a name without = as empty", () => {
    assert.deepEqual(get("A=x=y&B&C="), [
      ["A", "x=y"],
      ["B", ""],
      ["C", ""],
    ]);
  });

  it("skips empty pieces", () => {
    assert.deepEqual(get("&A=1&&B=2&"), [
      ["A", "1"],
      ["B", "2"],
    ]);
  });

  it("accepts the form content type in any case, with or without a UTF-8 charset", () => {
    for (const type of [
      "application/x-www-form-urlencoded",
      "application/x-www-form-urlencoded; charset=utf-8",
      "application/x-www-form-urlencoded; charset=UTF-8",
      "Application/X-WWW-Form-URLEncoded;charset=\"utf-8\"",
    ]) {
      assert.deepEqual(post("A=1", type), [["A", "1"]], type);
    }
  });

  it("refuses a POST body of another content type, or of none, with UnsupportedMediaType", () => {
    throwsCode(() => post("A=1", "application/json"), "UnsupportedMediaType", "application/json");
    throwsCode(() => post("A=1", "text/plain"), "UnsupportedMediaType");
    throwsCode(() => post("A=1", null), "UnsupportedMediaType", "(none)");
    throwsCode(() => post("A=1", "application/x-www-form-urlencoded; charset=iso-8859-1"), "UnsupportedMediaType");
  });

  it("ignores the content type of an empty body, and the body of a GET", () => {
    assert.deepEqual(post("", null, "A=1"), [["A", "1"]]);
    assert.deepEqual(parseParams("A=1", Buffer.from("B=2"), "text/plain", "GET"), [["A", "1"]]);
  });

  it("refuses bad percent-encoding with MalformedQueryString, quoting the piece", () => {
    throwsCode(() => get("A=%ZZ"), "MalformedQueryString", "%ZZ");
    throwsCode(() => get("A=%4"), "MalformedQueryString", "%4");
    throwsCode(() => get("Na%me=1"), "MalformedQueryString", "Na%me");
    throwsCode(() => post("A=1&B=%"), "MalformedQueryString");
  });

  it("refuses percent-encoded bytes that are not UTF-8", () => {
    throwsCode(() => get("A=%FF"), "MalformedQueryString"); // not a UTF-8 byte
    throwsCode(() => get("A=%E2%82"), "MalformedQueryString"); // truncated sequence
    throwsCode(() => get("A=%ED%A0%80"), "MalformedQueryString"); // an encoded surrogate
    throwsCode(() => get("A=%C0%AF"), "MalformedQueryString"); // overlong
  });

  it("refuses a body that is not UTF-8", () => {
    throwsCode(() => post(Buffer.from([0x41, 0x3d, 0xff])), "MalformedQueryString", "UTF-8");
  });

  it("refuses an empty parameter name", () => {
    throwsCode(() => get("=1"), "MalformedQueryString", "empty name");
    throwsCode(() => post("A=1&=2"), "MalformedQueryString", "empty name");
  });

  it("refuses a repeated parameter with a ValidationError naming it", () => {
    const check = (fn: () => unknown) =>
      assert.throws(fn, (e: unknown) => e instanceof ValidationError && e.message.includes("MinSize"));
    check(() => get("MinSize=1&MinSize=2"));
    check(() => post("MinSize=2", FORM, "MinSize=1"));
    check(() => get("Min%53ize=1&MinSize=1")); // the same name once decoded
  });

  it("stays linear on many pieces without '='", () => {
    const query = Array.from({ length: MAX_PARAMS - 1 }, (_, i) => `p${i}`).join("&") + "&last=1";
    const started = process.hrtime.bigint();
    const params = get(query);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(params.length, MAX_PARAMS);
    assert.ok(ms < 2000, `took ${ms} ms`);
  });

  it(`refuses more than ${MAX_PARAMS} parameters, counted before any is decoded`, () => {
    const form = Buffer.from(Array.from({ length: 100_000 }, (_, i) => `p${i}=${"v".repeat(3)}`).join("&"));
    assert.throws(() => parseParams("", form, "application/x-www-form-urlencoded", "POST"), {
      name: "ValidationError",
      message: `The request has more than ${MAX_PARAMS} parameters.`,
    });
    const query = Array.from({ length: MAX_PARAMS / 2 }, (_, i) => `q${i}=1`).join("&");
    const body = Buffer.from(Array.from({ length: MAX_PARAMS / 2 + 1 }, (_, i) => `b${i}=1`).join("&"));
    assert.throws(() => parseParams(query, body, "application/x-www-form-urlencoded", "POST"), /more than/);
  });
});
