'use strict';
/*
 * Local Telegram Bot API emulator for Waakzaam's end-to-end tests.
 *
 *   node server.js [PORT] [--watch-stdin]      (or EMULATOR_PORT=PORT; 0 = any free port)
 *
 * Prints exactly one line "READY <port>" on stdout once it listens on 127.0.0.1.
 * With --watch-stdin it also exits when its stdin closes, so a test runner that
 * dies without cleaning up does not leave an orphan server behind.
 *
 * It runs telegram-test-api 4.2.1 (which ships no runnable server script) and puts
 * our own routes in front of the stock ones, because the stock bot API is too far
 * from Telegram for python-telegram-bot 22 (tests/e2e/README.md lists the quirks).
 * The stock storage, lifecycle and /getUpdatesHistory stay in use; every bot method
 * PTB needs is answered here.
 *
 * Extra client routes (JSON POST bodies), used by tests/e2e/harness.py:
 *   /sendMessage, /sendCommand  {botToken, from, chat, text, entities?, reply_to_message_id?}
 *   /sendCallback               {botToken, from, chat_id, message_id, data, force?}
 *   /editUserMessage            {botToken, chat_id, message_id, text, entities?}
 *   /sendRawUpdate              {botToken, update}
 *   /setUserBlocked             {botToken, from, blocked}
 *   /getBotMessages             {token, chatId?, includeDeleted?}
 *   /getBotCalls                {token, method?}
 *   /getCallbackAnswer          {token, callbackQueryId}
 *   /getBotStatus               {token}
 *
 * Bot API: sendPhoto takes a PNG upload (multipart/form-data); the message carries photo
 * sizes and the caption, and the bytes stay readable for tests as `photo_bytes` (base64).
 */

const TelegramServer = require('telegram-test-api');
// The constructor installs every function of this array in order, so putting ours
// first makes our routes win over the stock ones (body parsers are installed before).
const { routes: stockRoutes } = require('telegram-test-api/lib/routes/index');

const HOST = '127.0.0.1';
const MAX_TEXT = 4096;
const MAX_CALLS_PER_TOKEN = 5000;
// Stock storage drops messages after 60 s; a long e2e module must not lose them.
const STORE_TIMEOUT_S = Number(process.env.EMULATOR_STORE_TIMEOUT_S) || 24 * 3600;
const BOT_USERNAME = process.env.EMULATOR_BOT_USERNAME || 'WaakzaamTestBot';
const BOT_FIRST_NAME = process.env.EMULATOR_BOT_FIRST_NAME || 'Waakzaam Test';
// What Telegram delivers when a bot never set allowed_updates.
const DEFAULT_UPDATE_TYPES_EXCLUDED = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);

// PTB posts form fields whose non-string values are JSON-encoded ("true", "123",
// '{"inline_keyboard":...}'). Free-text fields must stay strings even when they
// look like JSON (a user may well type "123" or "[x]").
const TEXT_FIELDS = new Set([
  'text', 'caption', 'parse_mode', 'callback_query_id', 'inline_message_id', 'url', 'query',
  'description', 'short_description', 'name', 'title', 'first_name', 'last_name', 'username',
  'language_code', 'emoji', 'business_connection_id', 'message_effect_id', 'custom_emoji_id',
  'question', 'explanation', 'payload', 'currency', 'start_parameter', 'secret_token',
  'switch_pm_text', 'switch_pm_parameter', 'next_offset', 'button_text', 'gift_id', 'keywords',
  'sticker', 'photo', 'document', 'video', 'audio', 'voice', 'animation', 'video_note',
  'thumbnail', 'address', 'action', 'invite_link', 'emojis',
]);

// Keys kept on stored bot messages for the client side only; never sent to the bot.
const CLIENT_ONLY = ['chat_id', 'protect_content', 'method', 'params', 'edit_history', 'deleted', 'source_text',
  'photo_bytes'];
const MAX_UPLOAD = 10 * 1024 * 1024; // Telegram's limit for a photo
// Message keys that are not "content" when copying or forwarding.
const NON_CONTENT = new Set([
  'message_id', 'from', 'chat', 'date', 'reply_to_message', 'reply_markup', 'edit_date',
  'forward_origin', 'forward_from', 'forward_from_chat', 'forward_date', 'forward_sender_name',
  'forward_signature', 'forward_from_message_id', 'has_protected_content', 'is_automatic_forward',
  'author_signature', 'via_bot', 'message_thread_id', ...CLIENT_ONLY,
]);

class ApiError extends Error {
  constructor(code, description) {
    super(description);
    this.code = code;
  }
}
const badRequest = (what) => new ApiError(400, `Bad Request: ${what}`);
const nowS = () => Math.floor(Date.now() / 1000);

function normalizeParams(raw) {
  const out = {};
  for (const [key, value] of Object.entries(raw || {})) {
    if (typeof value !== 'string' || TEXT_FIELDS.has(key)) {
      out[key] = value;
      continue;
    }
    try {
      out[key] = JSON.parse(value);
    } catch (_e) {
      out[key] = value; // e.g. chat_id "@channel"
    }
  }
  return out;
}

function toInt(value, fallback) {
  const n = Number(value);
  return Number.isFinite(n) ? Math.trunc(n) : fallback;
}

function byteOffset(src, i) {
  return Buffer.byteLength(src.slice(0, i), 'utf8');
}

// ---- parse_mode: Telegram rejects malformed markup, and bots that relay user text
// often trip over that, so the emulator validates it the same way and stores the
// plain text a user would see. Entities are not generated.
const HTML_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'span',
  'tg-spoiler', 'a', 'code', 'pre', 'blockquote', 'tg-emoji']);
const HTML_TAG_RE = /^<(\/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[A-Za-z-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*>/;

function parseHtml(src) {
  const err = (m) => badRequest(`can't parse entities: ${m}`);
  const stack = [];
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '<') {
      const m = HTML_TAG_RE.exec(src.slice(i));
      const name = m ? m[2].toLowerCase() : '';
      if (!m || !HTML_TAGS.has(name)) {
        throw err(`Unsupported start tag "${name}" at byte offset ${byteOffset(src, i)}`);
      }
      if (m[1]) {
        const expected = stack.pop();
        if (expected !== name) {
          throw err(`Unmatched end tag at byte offset ${byteOffset(src, i)}, expected "</${expected || ''}>", found "</${name}>"`);
        }
      } else {
        stack.push(name);
      }
      i += m[0].length;
      continue;
    }
    if (c === '&') {
      const m = /^&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);/.exec(src.slice(i, i + 16));
      if (m) {
        const e = m[1];
        out += { lt: '<', gt: '>', amp: '&', quot: '"' }[e]
          || String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
        i += m[0].length;
        continue;
      }
    }
    out += c;
    i += 1;
  }
  if (stack.length) throw err(`Can't find end tag corresponding to start tag "${stack[stack.length - 1]}"`);
  return out;
}

function parseMarkdown(src, v2) {
  const err = (m) => badRequest(`can't parse entities: ${m}`);
  const reserved = v2 ? '_*[]()~`>#+-=|{}.!' : '';
  const open = []; // [marker, index]
  let out = '';
  let i = 0;
  let lineStart = true;
  const toggle = (marker) => {
    if (open.length && open[open.length - 1][0] === marker) open.pop();
    else open.push([marker, i]);
  };
  const closeOf = (marker, from) => {
    for (let j = from; j < src.length; j += 1) {
      if (v2 && src[j] === '\\') j += 1;
      else if (src.startsWith(marker, j)) return j;
    }
    throw err(`Can't find end of the entity starting at byte offset ${byteOffset(src, i)}`);
  };
  while (i < src.length) {
    const c = src[i];
    const atLineStart = lineStart;
    lineStart = c === '\n';
    if (c === '\\' && (v2 || '_*`['.includes(src[i + 1]))) {
      if (i + 1 >= src.length) throw err(`Character '\\' is reserved and must be escaped with the preceding '\\'`);
      out += src[i + 1];
      i += 2;
    } else if (src.startsWith('```', i)) {
      const end = closeOf('```', i + 3);
      let body = src.slice(i + 3, end);
      if (/^[^\s`]*\n/.test(body)) body = body.slice(body.indexOf('\n') + 1); // language line
      out += v2 ? body.replace(/\\([\\`])/g, '$1') : body;
      i = end + 3;
    } else if (c === '`') {
      const end = closeOf('`', i + 1);
      out += v2 ? src.slice(i + 1, end).replace(/\\([\\`])/g, '$1') : src.slice(i + 1, end);
      i = end + 1;
    } else if (v2 && (src.startsWith('||', i) || src.startsWith('__', i))) {
      toggle(src.slice(i, i + 2));
      i += 2;
    } else if (c === '*' || c === '_' || (v2 && c === '~')) {
      toggle(c);
      i += 1;
    } else if (c === '[') {
      open.push(['[', i]);
      i += 1;
    } else if (c === ']' && open.length && open[open.length - 1][0] === '[') {
      open.pop();
      if (src[i + 1] === '(') i = closeOf(')', i + 2) + 1;
      else if (v2) throw err(`Character ']' is reserved and must be escaped with the preceding '\\'`);
      else i += 1;
    } else if (v2 && c === '>' && atLineStart) {
      i += 1; // block quote marker
    } else if (reserved.includes(c)) {
      throw err(`Character '${c}' is reserved and must be escaped with the preceding '\\'`);
    } else {
      out += c;
      i += 1;
    }
  }
  if (open.length) {
    const [, at] = open[open.length - 1];
    throw err(`Can't find end of the entity starting at byte offset ${byteOffset(src, at)}`);
  }
  return out;
}

function renderText(raw, parseMode, field) {
  if (typeof raw !== 'string') raw = raw === undefined || raw === null ? '' : String(raw);
  const mode = (parseMode || '').toLowerCase();
  let text = raw;
  if (mode === 'html') text = parseHtml(raw);
  else if (mode === 'markdownv2') text = parseMarkdown(raw, true);
  else if (mode === 'markdown') text = parseMarkdown(raw, false);
  else if (mode) throw badRequest(`unsupported parse_mode "${parseMode}"`);
  if (field === 'text') {
    if (!text.trim()) throw badRequest('message text is empty');
    if (text.length > MAX_TEXT) throw badRequest('message is too long');
  } else if (text.length > 1024) {
    throw badRequest('message caption is too long');
  }
  return text;
}

function inlineMarkup(markup) {
  // Telegram only echoes inline keyboards on Message objects; reply keyboards stay in `params`.
  if (markup && typeof markup === 'object' && Array.isArray(markup.inline_keyboard)) {
    for (const row of markup.inline_keyboard) {
      for (const button of row) {
        if (!button || typeof button.text !== 'string') throw badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
        const cbData = button.callback_data;
        if (cbData !== undefined && Buffer.byteLength(String(cbData), 'utf8') > 64) throw badRequest('BUTTON_DATA_INVALID');
      }
    }
    return markup;
  }
  return undefined;
}

// ---- multipart/form-data (file uploads): PTB sends a photo's bytes as a file part and every
// other parameter as a plain field. Parsed here from the raw body; nothing else reads it.
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_UPLOAD + 65536) reject(new ApiError(413, 'Request Entity Too Large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseMultipart(body, contentType) {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType || '');
  if (!match) throw badRequest('multipart/form-data without a boundary');
  const delimiter = Buffer.from(`--${match[1] || match[2]}`);
  const fields = {};
  const files = {};
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    let partStart = start + delimiter.length;
    if (body.slice(partStart, partStart + 2).toString() === '--') break; // the closing delimiter
    if (body.slice(partStart, partStart + 2).toString() === '\r\n') partStart += 2;
    const next = body.indexOf(delimiter, partStart);
    if (next === -1) throw badRequest('multipart/form-data is cut off');
    const part = body.slice(partStart, next - 2); // without the CRLF before the next delimiter
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd === -1) throw badRequest('multipart part without headers');
    const headers = part.slice(0, headerEnd).toString('utf8');
    const content = part.slice(headerEnd + 4);
    const name = /name="([^"]*)"/i.exec(headers);
    if (!name) throw badRequest('multipart part without a name');
    if (/filename="/i.test(headers)) files[name[1]] = content;
    else fields[name[1]] = content.toString('utf8');
    start = next;
  }
  return { fields, files };
}

// PNG width and height from the IHDR chunk (enough for a photo's PhotoSize).
function pngSize(bytes) {
  const signature = '89504e470d0a1a0a';
  if (bytes.length < 24 || bytes.slice(0, 8).toString('hex') !== signature) return null;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

function publicMessage(rec) {
  const msg = { ...rec };
  for (const key of CLIENT_ONLY) delete msg[key];
  return msg;
}

function shallowPublic(rec) {
  // Telegram does not nest reply_to_message inside reply_to_message.
  const msg = publicMessage(rec);
  delete msg.reply_to_message;
  return msg;
}

function sameJson(a, b) {
  return JSON.stringify(a === undefined ? null : a) === JSON.stringify(b === undefined ? null : b);
}

function installOverrides(app, server) {
  const state = {
    botMessages: new Map(), // `${token}|${chatId}|${messageId}` -> stored record (client view)
    userMessages: new Map(), // same key -> latest Message object the user sent
    chats: new Map(), // `${token}|${chatId}` -> Chat as learnt from the user's updates
    blocked: new Set(), // `${token}|${chatId}`
    waiters: new Map(), // token -> pending long poll
    allowed: new Map(), // token -> allowed_updates
    callbacks: new Map(), // callback query id -> {token, answer}
    calls: new Map(), // token -> [{method, params, time}]
    status: new Map(), // token -> {polls, lastPollAt}
    settings: new Map(), // `${token}|${method}|${scope}|${lang}` -> stored value
    warned: new Set(),
  };
  const key = (token, chatId, messageId) => `${token}|${chatId}|${messageId}`;

  function botUser(token) {
    const m = /^(\d+):/.exec(token);
    return { id: m ? Number(m[1]) : 666, is_bot: true, first_name: BOT_FIRST_NAME, username: BOT_USERNAME };
  }

  function chatFor(token, chatId) {
    return state.chats.get(`${token}|${chatId}`) || { id: chatId, type: chatId < 0 ? 'group' : 'private' };
  }

  function statusOf(token) {
    if (!state.status.has(token)) state.status.set(token, { polls: 0, lastPollAt: null });
    return state.status.get(token);
  }

  function requireChatId(ctx, name = 'chat_id') {
    const chatId = Number(ctx.p[name]);
    if (ctx.p[name] === undefined || !Number.isFinite(chatId)) throw badRequest('chat not found');
    if (state.blocked.has(`${ctx.token}|${chatId}`)) throw new ApiError(403, 'Forbidden: bot was blocked by the user');
    return chatId;
  }

  function findAnyMessage(token, chatId, messageId) {
    const k = key(token, chatId, messageId);
    const bot = state.botMessages.get(k);
    if (bot && !bot.deleted) return bot;
    return state.userMessages.get(k);
  }

  // ---- updates coming from simulated users

  function pushUserUpdate(token, payload) {
    const updateId = server.updateId;
    server.updateId += 1;
    const entry = {
      time: Date.now(), botToken: token, updateId, isRead: false, update: payload,
    };
    // Keep the stock field names so /getUpdatesHistory stays readable.
    if (payload.message) {
      entry.message = payload.message;
      entry.messageId = payload.message.message_id;
    }
    if (payload.callback_query) entry.callbackQuery = payload.callback_query;
    server.storage.userMessages.push(entry);
    server.emit('AddedUserMessage');
    const waiter = state.waiters.get(token);
    if (waiter) waiter.wake();
    return updateId;
  }

  function updateType(entry) {
    return Object.keys(entry.update).find((k) => k !== 'update_id');
  }

  function isAllowed(token, type) {
    const allowed = state.allowed.get(token);
    if (allowed && allowed.length) return allowed.includes(type);
    return !DEFAULT_UPDATE_TYPES_EXCLUDED.has(type);
  }

  function pendingEntries(token) {
    return server.storage.userMessages
      .filter((e) => e.botToken === token && !e.isRead && e.update)
      .sort((a, b) => a.updateId - b.updateId);
  }

  // Telegram semantics: an update stays pending until a later getUpdates confirms it
  // with offset > update_id (the stock server marked updates read as soon as it
  // returned them, so a bot restart lost them and offset meant nothing).
  function confirm(token, offset) {
    const pending = pendingEntries(token);
    if (offset > 0) pending.forEach((e) => { if (e.updateId < offset) e.isRead = true; });
    else if (offset < 0) pending.slice(0, Math.max(0, pending.length + offset)).forEach((e) => { e.isRead = true; });
  }

  function takeUpdates(token, limit) {
    const out = [];
    for (const e of pendingEntries(token)) {
      if (!isAllowed(token, updateType(e))) {
        e.isRead = true; // Telegram never creates updates the bot did not ask for
      } else if (out.length < limit) {
        out.push({ update_id: e.updateId, ...e.update });
      }
    }
    return out;
  }

  function endWaiter(token) {
    const waiter = state.waiters.get(token);
    if (waiter) waiter.finish([]);
  }

  // ---- bot API methods: (ctx) => result, or throw ApiError

  function storeBotMessage(ctx, chatId, content, { method, reply, withMarkup = true }) {
    const { p, token } = ctx;
    const rec = {
      message_id: server.messageId,
      from: botUser(token),
      chat: chatFor(token, chatId),
      date: nowS(), // the stock server used milliseconds, which PTB cannot parse
      ...content,
    };
    server.messageId += 1;
    if (p.protect_content === true) rec.has_protected_content = true;
    const markup = withMarkup ? inlineMarkup(p.reply_markup) : undefined;
    if (markup) rec.reply_markup = markup;
    if (reply) rec.reply_to_message = shallowPublic(reply);
    Object.assign(rec, {
      chat_id: chatId, // lets the stock client /getUpdates find it
      protect_content: p.protect_content === true,
      method,
      params: p,
      edit_history: [],
      deleted: false,
    });
    state.botMessages.set(key(token, chatId, rec.message_id), rec);
    server.storage.botMessages.push({
      time: Date.now(), botToken: token, message: rec, updateId: 0, messageId: rec.message_id, isRead: false,
    });
    server.emit('AddedBotMessage');
    return rec;
  }

  function resolveReply(ctx, chatId) {
    const { p } = ctx;
    const params = p.reply_parameters || (p.reply_to_message_id !== undefined
      ? { message_id: p.reply_to_message_id, allow_sending_without_reply: p.allow_sending_without_reply } : null);
    if (!params || params.message_id === undefined) return null;
    const replyChat = params.chat_id !== undefined ? Number(params.chat_id) : chatId;
    const target = findAnyMessage(ctx.token, replyChat, Number(params.message_id));
    if (!target && !params.allow_sending_without_reply) throw badRequest('message to be replied not found');
    return target || null;
  }

  function sendMessage(ctx) {
    const chatId = requireChatId(ctx);
    const text = renderText(ctx.p.text, ctx.p.parse_mode, 'text');
    const content = { text };
    if (Array.isArray(ctx.p.entities)) content.entities = ctx.p.entities;
    if (ctx.p.link_preview_options) content.link_preview_options = ctx.p.link_preview_options;
    const rec = storeBotMessage(ctx, chatId, content, { method: 'sendMessage', reply: resolveReply(ctx, chatId) });
    if (ctx.p.parse_mode) rec.source_text = ctx.p.text;
    return publicMessage(rec);
  }

  // sendPhoto: an uploaded picture (multipart) becomes a Message with photo sizes and a caption.
  function sendPhoto(ctx) {
    const chatId = requireChatId(ctx);
    let bytes = null;
    const ref = ctx.p.photo;
    if (typeof ref === 'string' && ref.startsWith('attach://')) bytes = (ctx.files || {})[ref.slice(9)];
    else if (ctx.files && ctx.files.photo) bytes = ctx.files.photo;
    if (!bytes) throw badRequest('there is no photo in the request');
    const size = pngSize(bytes);
    if (!size) throw badRequest('IMAGE_PROCESS_FAILED');
    const uniq = `p${server.messageId}`;
    const content = {
      photo: [{ file_id: `photo-${uniq}`, file_unique_id: uniq, width: size.width, height: size.height,
        file_size: bytes.length }],
    };
    if (ctx.p.caption !== undefined && ctx.p.caption !== '') {
      content.caption = renderText(ctx.p.caption, ctx.p.parse_mode, 'caption');
    }
    const rec = storeBotMessage(ctx, chatId, content, { method: 'sendPhoto', reply: resolveReply(ctx, chatId) });
    rec.photo_bytes = bytes.toString('base64');
    return publicMessage(rec);
  }

  function sourceFor(ctx, verb) {
    const fromChat = Number(ctx.p.from_chat_id);
    const source = findAnyMessage(ctx.token, fromChat, Number(ctx.p.message_id));
    if (!source) throw badRequest(`message to ${verb} not found`);
    if (source.has_protected_content) throw badRequest(`message can't be ${verb === 'copy' ? 'copied' : 'forwarded'}`);
    const content = {};
    for (const [k, v] of Object.entries(source)) if (!NON_CONTENT.has(k)) content[k] = v;
    return { source, content };
  }

  // copyMessage: same content, no forward header (what a confidential relay wants).
  function copyMessage(ctx) {
    const chatId = requireChatId(ctx);
    const { content } = sourceFor(ctx, 'copy');
    if (ctx.p.caption !== undefined && content.text === undefined) {
      content.caption = renderText(ctx.p.caption, ctx.p.parse_mode, 'caption');
      delete content.caption_entities;
    }
    const rec = storeBotMessage(ctx, chatId, content, { method: 'copyMessage', reply: resolveReply(ctx, chatId) });
    return { message_id: rec.message_id };
  }

  // forwardMessage: carries forward_origin / forward_from, so tests can prove a bot never forwards.
  function forwardMessage(ctx) {
    const chatId = requireChatId(ctx);
    const { source, content } = sourceFor(ctx, 'forward');
    const sender = source.from || botUser(ctx.token);
    content.forward_origin = { type: 'user', sender_user: sender, date: source.date };
    content.forward_from = sender;
    content.forward_date = source.date;
    return publicMessage(storeBotMessage(ctx, chatId, content, { method: 'forwardMessage', withMarkup: false }));
  }

  function editTarget(ctx) {
    if (ctx.p.inline_message_id !== undefined) return null; // inline messages: Telegram answers true
    const chatId = Number(ctx.p.chat_id);
    const messageId = Number(ctx.p.message_id);
    const rec = state.botMessages.get(key(ctx.token, chatId, messageId));
    if (rec && !rec.deleted) return rec;
    if (state.userMessages.has(key(ctx.token, chatId, messageId))) throw badRequest("message can't be edited");
    throw badRequest('message to edit not found');
  }

  // Telegram replaces the whole message: no reply_markup in an edit removes the keyboard,
  // and an edit that changes nothing is a 400 "message is not modified".
  function applyEdit(rec, changes) {
    const unchanged = Object.entries(changes).every(([k, v]) => sameJson(rec[k], v));
    if (unchanged) {
      throw badRequest('message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
    }
    const previous = { edit_date: rec.edit_date || rec.date };
    for (const k of Object.keys(changes)) previous[k] = rec[k];
    rec.edit_history.push(previous);
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined) delete rec[k];
      else rec[k] = v;
    }
    rec.edit_date = nowS();
    server.emit('EditedMessageText');
    return publicMessage(rec);
  }

  function editMessageText(ctx) {
    const rec = editTarget(ctx);
    const text = renderText(ctx.p.text, ctx.p.parse_mode, 'text');
    if (!rec) return true;
    if (rec.text === undefined) throw badRequest('there is no text in the message to edit');
    const result = applyEdit(rec, {
      text,
      entities: Array.isArray(ctx.p.entities) ? ctx.p.entities : undefined,
      reply_markup: inlineMarkup(ctx.p.reply_markup),
    });
    if (ctx.p.parse_mode) rec.source_text = ctx.p.text;
    return result;
  }

  function editMessageCaption(ctx) {
    const rec = editTarget(ctx);
    const caption = ctx.p.caption === undefined ? undefined : renderText(ctx.p.caption, ctx.p.parse_mode, 'caption');
    if (!rec) return true;
    if (rec.text !== undefined) throw badRequest('there is no caption in the message to edit');
    return applyEdit(rec, { caption, reply_markup: inlineMarkup(ctx.p.reply_markup) });
  }

  function editMessageReplyMarkup(ctx) {
    const rec = editTarget(ctx);
    if (!rec) return true;
    return applyEdit(rec, { reply_markup: inlineMarkup(ctx.p.reply_markup) });
  }

  function deleteOne(token, chatId, messageId) {
    const k = key(token, chatId, messageId);
    const rec = state.botMessages.get(k);
    if (rec && !rec.deleted) {
      rec.deleted = true;
      return true;
    }
    if (state.userMessages.has(k)) {
      state.userMessages.delete(k);
      return true;
    }
    return false;
  }

  function deleteMessage(ctx) {
    if (!deleteOne(ctx.token, Number(ctx.p.chat_id), Number(ctx.p.message_id))) {
      throw badRequest('message to delete not found');
    }
    return true;
  }

  function deleteMessages(ctx) {
    const ids = Array.isArray(ctx.p.message_ids) ? ctx.p.message_ids : [];
    const deleted = ids.map((id) => deleteOne(ctx.token, Number(ctx.p.chat_id), Number(id)));
    if (!deleted.some(Boolean)) throw badRequest('message to delete not found');
    return true;
  }

  function answerCallbackQuery(ctx) {
    const cb = state.callbacks.get(String(ctx.p.callback_query_id));
    if (!cb || cb.token !== ctx.token || cb.answer) {
      throw badRequest('query is too old and response timeout expired or query ID is invalid');
    }
    cb.answer = {
      text: ctx.p.text, show_alert: ctx.p.show_alert === true, url: ctx.p.url, cache_time: ctx.p.cache_time, time: Date.now(),
    };
    return true;
  }

  function getUpdates(ctx) {
    const { token, p, res } = ctx;
    if (webhooks.has(token)) {
      throw new ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    }
    const offset = toInt(p.offset, 0);
    const limit = Math.min(100, Math.max(1, toInt(p.limit, 100)));
    const timeoutS = Math.max(0, Number(p.timeout) || 0);
    if (Array.isArray(p.allowed_updates)) state.allowed.set(token, p.allowed_updates);
    const status = statusOf(token);
    status.polls += 1;
    status.lastPollAt = Date.now();
    // Only one poll per token: end the older one empty. (Telegram answers it with a
    // 409 Conflict, which would make a restarting bot log spurious errors.)
    endWaiter(token);
    confirm(token, offset);
    const ready = takeUpdates(token, limit);
    if (ready.length || timeoutS === 0) return ready;
    // Long polling (the stock server ignored `timeout`, forcing bots into a busy loop).
    return new Promise((resolve) => {
      const waiter = {};
      waiter.finish = (updates) => {
        if (state.waiters.get(token) === waiter) state.waiters.delete(token);
        clearTimeout(waiter.timer);
        resolve(updates);
      };
      waiter.wake = () => {
        const updates = takeUpdates(token, limit);
        if (updates.length) waiter.finish(updates);
      };
      waiter.timer = setTimeout(() => waiter.finish([]), timeoutS * 1000);
      state.waiters.set(token, waiter);
      res.on('close', () => waiter.finish([])); // the bot gave up (e.g. it is shutting down)
    });
  }

  // Webhooks: setWebhook is recorded (getWebhookInfo shows it) but the emulator never posts
  // updates to it; a webhook test posts updates to the bot itself. getUpdates answers 409 while
  // a webhook is set, as Telegram does.
  const webhooks = new Map(); // token -> {url, secret_token}

  function deleteWebhook(ctx) {
    if (ctx.p.drop_pending_updates === true) pendingEntries(ctx.token).forEach((e) => { e.isRead = true; });
    server.deleteWebhook(ctx.token);
    webhooks.delete(ctx.token);
    return true;
  }

  function setWebhook(ctx) {
    if (typeof ctx.p.url !== 'string' || !/^https?:\/\//.test(ctx.p.url)) throw badRequest('bad webhook: invalid url');
    webhooks.set(ctx.token, { url: ctx.p.url, secret_token: ctx.p.secret_token || '' });
    return true;
  }

  function getWebhookInfo(ctx) {
    const hook = webhooks.get(ctx.token);
    return { url: hook ? hook.url : '', has_custom_certificate: false, pending_update_count: pendingEntries(ctx.token).length };
  }

  function settingKey(ctx, name) {
    return `${ctx.token}|${name}|${JSON.stringify(ctx.p.scope || { type: 'default' })}|${ctx.p.language_code || ''}`;
  }

  function setMyCommands(ctx) {
    const commands = Array.isArray(ctx.p.commands) ? ctx.p.commands : [];
    if (commands.length > 100) throw badRequest('too many commands');
    for (const c of commands) {
      if (!c || !/^[a-z0-9_]{1,32}$/.test(c.command)) throw badRequest('BOT_COMMAND_INVALID');
      if (typeof c.description !== 'string' || !c.description.trim() || c.description.length > 256) {
        throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
      }
    }
    state.settings.set(settingKey(ctx, 'commands'), commands);
    return true;
  }

  function getMyCommands(ctx) {
    return state.settings.get(settingKey(ctx, 'commands')) || [];
  }

  function deleteMyCommands(ctx) {
    state.settings.delete(settingKey(ctx, 'commands'));
    return true;
  }

  const textSetting = (field) => ({
    set: (ctx) => { state.settings.set(settingKey(ctx, field), ctx.p[field] || ''); return true; },
    get: (ctx) => ({ [field]: state.settings.get(settingKey(ctx, field)) || (field === 'name' ? BOT_FIRST_NAME : '') }),
  });
  const description = textSetting('description');
  const shortDescription = textSetting('short_description');
  const name = textSetting('name');

  function getChat(ctx) {
    const chatId = Number(ctx.p.chat_id);
    const chat = state.chats.get(`${ctx.token}|${chatId}`);
    if (!chat) throw badRequest('chat not found');
    return {
      ...chat,
      accent_color_id: 0,
      max_reaction_count: 11,
      accepted_gift_types: {
        unlimited_gifts: false, limited_gifts: false, unique_gifts: false, premium_subscription: false,
      },
    };
  }

  const botMethods = {
    getMe: (ctx) => ({
      ...botUser(ctx.token),
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
    }),
    getUpdates,
    deleteWebhook,
    setWebhook,
    getWebhookInfo,
    sendMessage,
    sendPhoto,
    copyMessage,
    forwardMessage,
    editMessageText,
    editMessageCaption,
    editMessageReplyMarkup,
    deleteMessage,
    deleteMessages,
    answerCallbackQuery,
    setMyCommands,
    getMyCommands,
    deleteMyCommands,
    setMyDescription: description.set,
    getMyDescription: description.get,
    setMyShortDescription: shortDescription.set,
    getMyShortDescription: shortDescription.get,
    setMyName: name.set,
    getMyName: name.get,
    getChat,
    sendChatAction: (ctx) => { requireChatId(ctx); return true; },
  };
  const methodIndex = new Map(Object.entries(botMethods).map(([n, fn]) => [n.toLowerCase(), [n, fn]]));

  function recordCall(token, method, params) {
    if (method === 'getUpdates') return; // polled constantly; counted in /getBotStatus instead
    if (!state.calls.has(token)) state.calls.set(token, []);
    const calls = state.calls.get(token);
    calls.push({ method, params, time: Date.now() });
    if (calls.length > MAX_CALLS_PER_TOKEN) calls.splice(0, calls.length - MAX_CALLS_PER_TOKEN);
  }

  function respond(res, handler) {
    Promise.resolve()
      .then(handler)
      .then((result) => {
        if (!res.writableEnded && !res.destroyed) res.json({ ok: true, result });
      })
      .catch((error) => {
        if (res.writableEnded || res.destroyed) return;
        if (error instanceof ApiError) {
          res.status(error.code).json({ ok: false, error_code: error.code, description: error.message });
        } else {
          process.stderr.write(`emulator: internal error: ${error && error.stack}\n`);
          res.status(500).json({ ok: false, error_code: 500, description: `Internal Server Error: ${error}` });
        }
      });
  }

  // Bot API. Registered before the stock routes, so those are never reached.
  app.all('/bot:token/:method', (req, res) => {
    const { token } = req.params;
    const entry = methodIndex.get(req.params.method.toLowerCase()); // Telegram ignores method case
    const method = entry ? entry[0] : req.params.method;
    respond(res, async () => {
      let body = req.body;
      let files = {};
      if (req.is('multipart/form-data')) {
        ({ fields: body, files } = parseMultipart(await readBody(req), req.headers['content-type']));
      }
      const p = normalizeParams({ ...req.query, ...body });
      recordCall(token, method, p);
      if (entry) return entry[1]({ token, p, req, res, files });
      // Unknown methods used to be HTTP 500; answering true keeps setup calls harmless.
      if (!state.warned.has(method)) {
        state.warned.add(method);
        process.stderr.write(`emulator: method ${method} is not emulated; answering true\n`);
      }
      return true;
    });
  });

  // ---- client API for simulated users

  function userMessage(body, messageId) {
    const from = body.from;
    if (!body.botToken || !from || typeof from.id !== 'number') throw badRequest('botToken and from.id are required');
    const chat = body.chat || {
      id: from.id, type: 'private', first_name: from.first_name, last_name: from.last_name, username: from.username,
    };
    Object.keys(chat).forEach((k) => chat[k] === undefined && delete chat[k]);
    state.chats.set(`${body.botToken}|${chat.id}`, chat);
    const message = { message_id: messageId, from, chat, date: nowS() };
    if (body.text !== undefined) message.text = String(body.text);
    if (Array.isArray(body.entities) && body.entities.length) message.entities = body.entities;
    if (body.reply_to_message_id !== undefined) {
      const target = findAnyMessage(body.botToken, chat.id, Number(body.reply_to_message_id));
      if (!target) throw badRequest('message to be replied not found');
      message.reply_to_message = shallowPublic(target);
    }
    return message;
  }

  function addUserMessage(req) {
    const messageId = server.messageId;
    const message = userMessage(req.body, messageId);
    server.messageId += 1;
    state.userMessages.set(key(req.body.botToken, message.chat.id, messageId), message);
    const updateId = pushUserUpdate(req.body.botToken, { message });
    return { update_id: updateId, message_id: messageId, message };
  }

  app.post('/sendMessage', (req, res) => respond(res, () => addUserMessage(req)));

  app.post('/sendCommand', (req, res) => respond(res, () => {
    const entities = req.body.entities || [];
    if (!entities.some((e) => e.type === 'bot_command' && e.offset === 0)) {
      throw badRequest('a command needs a bot_command entity at offset 0');
    }
    return addUserMessage(req);
  }));

  app.post('/editUserMessage', (req, res) => respond(res, () => {
    const { botToken, chat_id: chatId, message_id: messageId } = req.body;
    const k = key(botToken, Number(chatId), Number(messageId));
    const original = state.userMessages.get(k);
    if (!original) throw badRequest('message to edit not found');
    const edited = { ...original, text: String(req.body.text), edit_date: nowS() };
    if (Array.isArray(req.body.entities)) edited.entities = req.body.entities;
    else delete edited.entities;
    state.userMessages.set(k, edited);
    return { update_id: pushUserUpdate(botToken, { edited_message: edited }) };
  }));

  // A button press; Telegram only lets users press buttons that are on the message now.
  app.post('/sendCallback', (req, res) => respond(res, () => {
    const { botToken, from, data } = req.body;
    const chatId = Number(req.body.chat_id !== undefined ? req.body.chat_id : from && from.id);
    const rec = state.botMessages.get(key(botToken, chatId, Number(req.body.message_id)));
    if (!rec || rec.deleted) throw badRequest(`no bot message ${req.body.message_id} in chat ${chatId}`);
    const buttons = ((rec.reply_markup && rec.reply_markup.inline_keyboard) || []).flat();
    if (!req.body.force && !buttons.some((b) => b.callback_data === data)) {
      throw badRequest(`message ${rec.message_id} has no button with callback_data ${JSON.stringify(data)}`);
    }
    const id = String(server.callbackId);
    server.callbackId += 1;
    state.callbacks.set(id, { token: botToken, answer: null });
    const callbackQuery = {
      id,
      from,
      message: publicMessage(rec),
      chat_instance: String(1000000 + Math.abs(chatId)), // PTB requires it; stock omitted it
      data,
    };
    return { update_id: pushUserUpdate(botToken, { callback_query: callbackQuery }), callback_query_id: id };
  }));

  // Blocking the bot: sends the my_chat_member update Telegram sends, and makes sends fail with 403.
  app.post('/setUserBlocked', (req, res) => respond(res, () => {
    const { botToken, from, blocked } = req.body;
    const k = `${botToken}|${from.id}`;
    if (blocked) state.blocked.add(k);
    else state.blocked.delete(k);
    const bot = botUser(botToken);
    const member = (status) => (status === 'kicked' ? { status, user: bot, until_date: 0 } : { status, user: bot });
    return {
      update_id: pushUserUpdate(botToken, {
        my_chat_member: {
          chat: chatFor(botToken, from.id),
          from,
          date: nowS(),
          old_chat_member: member(blocked ? 'member' : 'kicked'),
          new_chat_member: member(blocked ? 'kicked' : 'member'),
        },
      }),
    };
  }));

  app.post('/sendRawUpdate', (req, res) => respond(res, () => {
    const { botToken, update } = req.body;
    if (!botToken || !update || typeof update !== 'object') throw badRequest('botToken and update are required');
    const payload = { ...update };
    delete payload.update_id;
    return { update_id: pushUserUpdate(botToken, payload) };
  }));

  app.post('/getBotMessages', (req, res) => respond(res, () => {
    const { token, chatId, includeDeleted } = req.body;
    return [...state.botMessages.entries()]
      .filter(([k]) => k.startsWith(`${token}|`))
      .map(([, rec]) => rec)
      .filter((rec) => chatId === undefined || chatId === null || rec.chat_id === Number(chatId))
      .filter((rec) => includeDeleted || !rec.deleted)
      .sort((a, b) => a.message_id - b.message_id);
  }));

  app.post('/getBotCalls', (req, res) => respond(res, () => {
    const calls = state.calls.get(req.body.token) || [];
    return req.body.method ? calls.filter((c) => c.method === req.body.method) : calls;
  }));

  app.post('/getCallbackAnswer', (req, res) => respond(res, () => {
    const cb = state.callbacks.get(String(req.body.callbackQueryId));
    return cb && cb.token === req.body.token ? cb.answer : null;
  }));

  app.post('/getBotStatus', (req, res) => respond(res, () => ({
    ...statusOf(req.body.token),
    waiting: state.waiters.has(req.body.token),
    pending_updates: pendingEntries(req.body.token).length,
  })));

  app.get('/health', (_req, res) => res.json({ ok: true }));

  server.e2eState = state;
  server.endAllPolls = () => [...state.waiters.keys()].forEach(endWaiter);
}

function parseArgs(argv) {
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  const positional = argv.filter((a) => !a.startsWith('--'));
  const rawPort = positional[0] !== undefined ? positional[0] : (process.env.EMULATOR_PORT || '9000');
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`emulator: invalid port ${JSON.stringify(rawPort)}\n`);
    process.exit(2);
  }
  return { port, watchStdin: flags.has('--watch-stdin') };
}

async function main() {
  const { port, watchStdin } = parseArgs(process.argv.slice(2));
  stockRoutes.unshift(installOverrides);
  const server = new TelegramServer({ host: HOST, port: port || 1, storeTimeout: STORE_TIMEOUT_S });
  server.config.port = port; // normalizeConfig turns 0 into 9000 (`port || 9000`)
  await server.start();
  const actualPort = server.server.address().port;
  server.config.apiURL = `http://${HOST}:${actualPort}`;
  // Outlive the clients' keep-alive (httpx: 5 s) so a reused connection is never
  // closed under a request, which would surface as a random NetworkError in the bot.
  server.server.keepAliveTimeout = 65000;
  server.server.headersTimeout = 66000;

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 3000).unref(); // never hang a test run
    server.endAllPolls(); // open long polls would keep http-shutdown waiting
    await server.stop();
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  if (watchStdin) {
    process.stdin.on('end', shutdown);
    process.stdin.on('error', shutdown);
    process.stdin.resume();
  }
  process.stdout.write(`READY ${actualPort}\n`);
}

main().catch((error) => {
  process.stderr.write(`emulator: failed to start: ${error && error.stack}\n`);
  process.exit(1);
});
