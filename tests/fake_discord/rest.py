"""The REST API under /api/v10: the routes a bot built on discord.py uses, each
recorded in the store, with Discord's error shapes for everything else.

Responses carry ``Content-Type: application/json`` exactly: discord.py decodes a
body as JSON only on that exact header value.
"""

from __future__ import annotations

import json
import math
import re
import time
from typing import Any, Awaitable, Callable

from aiohttp import BodyPartReader, web

from . import payloads, validation
from .gateway import Gateway, Intent, application_flags
from .store import InteractionRecord, RecordedFile, RecordedRequest, Store
from .world import ChannelType, FakeChannel, FakeUser

JSON = dict[str, Any]
API = "/api/v10"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CALLBACK_CHANNEL_MESSAGE = 4
CALLBACK_DEFERRED_CHANNEL_MESSAGE = 5
_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
# Where the middleware leaves the parsed request body for the handlers.
BODY = web.RequestKey("body", object)
FILES = web.RequestKey("files", tuple)
# Routes authenticated by the token in their path, not by the bot's Authorization header.
TOKEN_IN_PATH_ROUTES = frozenset(
    {"interaction_callback", "execute_webhook", "get_webhook_message", "edit_webhook_message", "delete_webhook_message"}
)


class ApiError(Exception):
    """An error answered as Discord does: ``{"message": ..., "code": ...}``."""

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def body(self) -> JSON:
        body: JSON = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=json.dumps(data).encode(), content_type="application/json", headers=headers)


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


class RestApi:
    def __init__(
        self,
        store: Store,
        gateway: Gateway,
        *,
        token: str,
        gateway_url: str,
        shard_count: int,
        interaction_deadline: float,
        attachment_base_url: str,
        on_change: Callable[[], None],
    ) -> None:
        self.store = store
        self.world = store.world
        self.gateway = gateway
        self.token = token
        self.gateway_url = gateway_url
        self.shard_count = shard_count
        self.interaction_deadline = interaction_deadline
        self.attachment_base_url = attachment_base_url
        self.on_change = on_change

    def install(self, app: web.Application) -> None:
        app.middlewares.append(self._middleware)
        routes: list[tuple[str, str, Handler, str]] = [
            ("GET", "/users/@me", self.get_current_user, "get_current_user"),
            ("POST", "/users/@me/channels", self.create_dm, "create_dm"),
            ("GET", "/oauth2/applications/@me", self.application_info, "application_info"),
            ("GET", "/gateway", self.get_gateway, "get_gateway"),
            ("GET", "/gateway/bot", self.get_gateway_bot, "get_gateway_bot"),
            ("PUT", "/applications/{application_id}/commands", self.sync_commands, "sync_global_commands"),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self.sync_commands, "sync_guild_commands"),
            ("GET", "/applications/{application_id}/commands", self.get_commands, "get_global_commands"),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", self.get_commands, "get_guild_commands"),
            ("POST", "/channels/{channel_id}/messages", self.create_message, "create_message"),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message, "edit_message"),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message, "delete_message"),
            ("POST", "/channels/{channel_id}/typing", self.trigger_typing, "trigger_typing"),
            ("POST", "/channels/{channel_id}/threads", self.create_thread, "create_thread"),
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", self.create_thread, "create_thread_from_message"),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self.interaction_callback, "interaction_callback"),
            ("POST", "/webhooks/{application_id}/{token}", self.execute_webhook, "execute_webhook"),
            ("GET", "/webhooks/{application_id}/{token}/messages/{message_id}", self.get_webhook_message, "get_webhook_message"),
            ("PATCH", "/webhooks/{application_id}/{token}/messages/{message_id}", self.edit_webhook_message, "edit_webhook_message"),
            ("DELETE", "/webhooks/{application_id}/{token}/messages/{message_id}", self.delete_webhook_message, "delete_webhook_message"),
        ]
        for method, path, handler, name in routes:
            app.router.add_route(method, API + path, handler, name=name)

    # -- middleware: body parsing, auth, errors, recording ------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await handler(request)
        arrived = time.monotonic()
        route = request.match_info.route.name
        body: Any = None
        files: tuple[RecordedFile, ...] = ()
        try:
            body, files = await _read_body(request)
            request[BODY], request[FILES] = body, files
            needs_bot_token = route is not None and route not in TOKEN_IN_PATH_ROUTES
            if needs_bot_token and request.headers.get("Authorization") != f"Bot {self.token}":
                raise ApiError(401, 0, "401: Unauthorized")
            response = await handler(request)
        except ApiError as exc:
            response = _error_response(exc)
        except web.HTTPException as exc:  # unknown route (404), wrong method (405)...
            response = _error_response(ApiError(exc.status, 0, f"{exc.status}: {exc.reason}"))
        except Exception as exc:  # a gap in the fake: show it in the log, as a 500
            response = _error_response(ApiError(500, 0, f"500: fake Discord failed: {exc!r}"))
        response_body = json.loads(response.body) if isinstance(response, web.Response) and response.body else None
        self.store.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                route=route,
                params=dict(request.match_info),
                query=dict(request.query),
                headers=dict(request.headers),
                json=body,
                files=files,
                time=arrived,
                status=response.status,
                response=response_body,
            )
        )
        self.on_change()
        return response

    # -- users, application, gateway info ---------------------------------------
    async def get_current_user(self, request: web.Request) -> web.Response:
        return json_response(payloads.bot_user(self.world.bot))

    async def create_dm(self, request: web.Request) -> web.Response:
        user_id = int(request[BODY]["recipient_id"])
        if user_id not in self.world.users:
            raise ApiError(400, 10013, "Unknown User")
        return json_response(payloads.channel(self.world.dm_channel_for(user_id), self.world.users))

    async def application_info(self, request: web.Request) -> web.Response:
        owner = self.world.users[self.world.application_owner_id]
        flags = application_flags(self.gateway.enabled_privileged_intents)
        return json_response(payloads.application_info(self.world, owner, flags))

    async def get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.gateway_url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        return json_response({"url": self.gateway_url, "shards": self.shard_count, "session_start_limit": limit})

    # -- application commands ---------------------------------------------------------
    def _command_scope(self, request: web.Request) -> int | None:
        if int(request.match_info["application_id"]) != self.world.application_id:
            raise ApiError(403, 50001, "Missing Access")
        if "guild_id" not in request.match_info:
            return None
        guild_id = int(request.match_info["guild_id"])
        if guild_id not in self.world.guilds:
            raise ApiError(404, 10004, "Unknown Guild")
        return guild_id

    async def sync_commands(self, request: web.Request) -> web.Response:
        guild_id = self._command_scope(request)
        commands = request[BODY]
        if not isinstance(commands, list):
            raise ApiError(400, 50035, "Invalid Form Body")
        for index, command in enumerate(commands):
            _check_command(index, command)
        return json_response(self.store.sync_commands(guild_id, commands))

    async def get_commands(self, request: web.Request) -> web.Response:
        return json_response(self.store.commands.get(self._command_scope(request), []))

    # -- channel messages ---------------------------------------------------------------
    def _channel(self, request: web.Request) -> FakeChannel:
        channel = self.world.find_channel(int(request.match_info["channel_id"]))
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        return channel

    def _channel_message(self, request: web.Request) -> JSON:
        channel = self._channel(request)
        message = self.store.messages.get(int(request.match_info["message_id"]))
        if message is None or int(message["channel_id"]) != channel.id:
            raise ApiError(404, 10008, "Unknown Message")
        return message

    async def create_message(self, request: web.Request) -> web.Response:
        if self.store.rate_limited_posts > 0:
            self.store.rate_limited_posts -= 1
            return _rate_limited_response(self.store.rate_limit_retry_after)
        channel = self._channel(request)
        body: JSON = request[BODY] or {}
        _check_message_body(body, request[FILES])
        referenced = None
        reference = body.get("message_reference")
        if reference and reference.get("message_id"):
            referenced = self.store.messages.get(int(reference["message_id"]))
            if referenced is None and reference.get("fail_if_not_exists", True):
                raise ApiError(400, 50035, "Invalid Form Body", {"message_reference": {"_errors": [{"code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "message": "Unknown message"}]}})
        message = self._new_message(channel, self.world.bot, body, request[FILES], referenced=referenced)
        self.store.messages[int(message["id"])] = message
        self.gateway.dispatch_message("MESSAGE_CREATE", message)
        return json_response(message)

    async def edit_message(self, request: web.Request) -> web.Response:
        message = self._channel_message(request)
        if int(message["author"]["id"]) != self.world.bot.id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        _check_message_body(request[BODY] or {}, request[FILES], require_content=False)
        self._apply_edit(message, request[BODY] or {}, request[FILES])
        self.gateway.dispatch_message("MESSAGE_UPDATE", message)
        return json_response(message)

    async def delete_message(self, request: web.Request) -> web.Response:
        message = self._channel_message(request)
        del self.store.messages[int(message["id"])]
        event = {"id": message["id"], "channel_id": message["channel_id"]}
        guild_id = int(message["guild_id"]) if "guild_id" in message else None
        if guild_id is not None:
            event["guild_id"] = message["guild_id"]
        intent = Intent.GUILD_MESSAGES if guild_id is not None else Intent.DIRECT_MESSAGES
        self.gateway.dispatch("MESSAGE_DELETE", event, guild_id=guild_id, intent=intent)
        return web.Response(status=204)

    async def trigger_typing(self, request: web.Request) -> web.Response:
        self._channel(request)
        return web.Response(status=204)

    async def create_thread(self, request: web.Request) -> web.Response:
        """Both thread routes; a thread started from a message takes the message's id."""
        parent = self._channel(request)
        if parent.type != ChannelType.GUILD_TEXT:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        body: JSON = request[BODY] or {}
        if not 1 <= len(body.get("name") or "") <= 100:
            raise ApiError(400, 50035, "Invalid Form Body", {"name": {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": "Must be between 1 and 100 in length."}]}})
        starter_id = None
        if "message_id" in request.match_info:
            starter_id = int(self._channel_message(request)["id"])
        kind = body.get("type", ChannelType.PUBLIC_THREAD) if starter_id is None else ChannelType.PUBLIC_THREAD
        thread = self.world.add_thread(parent, body["name"], type=kind, owner_id=self.world.bot.id, thread_id=starter_id)
        data = payloads.thread(thread)
        self.gateway.dispatch("THREAD_CREATE", {**data, "newly_created": True}, guild_id=thread.guild_id, intent=Intent.GUILDS)
        return json_response(data, status=201)

    # -- interactions -----------------------------------------------------------------
    def _interaction(self, request: web.Request) -> InteractionRecord:
        record = self.store.interactions.get(int(request.match_info["interaction_id"]))
        if record is None or record.token != request.match_info["token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        return record

    def _webhook_interaction(self, request: web.Request) -> InteractionRecord:
        record = self.store.interaction_by_token(request.match_info["token"])
        if record is None or int(request.match_info["application_id"]) != self.world.application_id:
            raise ApiError(404, 10015, "Unknown Webhook")
        if not record.callbacks:
            raise ApiError(404, 10015, "Unknown Webhook")  # no followups before the initial response
        return record

    async def interaction_callback(self, request: web.Request) -> web.Response:
        record = self._interaction(request)
        if record.callbacks:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - record.created_at > self.interaction_deadline:
            raise ApiError(404, 10062, "Unknown interaction")  # Discord waits 3 s for the first response
        body: JSON = request[BODY] or {}
        kind = body.get("type")
        data: JSON = body.get("data") or {}
        if kind == CALLBACK_CHANNEL_MESSAGE:
            _check_message_body(data, request[FILES])
            record.original = self._interaction_message(record, data, request[FILES])
        elif kind == CALLBACK_DEFERRED_CHANNEL_MESSAGE:
            flags = payloads.MESSAGE_FLAG_LOADING | (data.get("flags", 0) & payloads.MESSAGE_FLAG_EPHEMERAL)
            record.original = self._interaction_message(record, {"flags": flags}, ())
        record.callbacks.append(body)
        if not _truthy(request.query.get("with_response")):
            return web.Response(status=204)
        original = record.original
        flags = original["flags"] if original else 0
        summary: JSON = {
            "id": str(record.id),
            "type": record.payload["type"],
            "response_message_loading": bool(flags & payloads.MESSAGE_FLAG_LOADING),
            "response_message_ephemeral": bool(flags & payloads.MESSAGE_FLAG_EPHEMERAL),
        }
        resource: JSON = {"type": kind}
        if original is not None:
            summary["response_message_id"] = original["id"]
            resource["message"] = original
        return json_response({"interaction": summary, "resource": resource})

    async def execute_webhook(self, request: web.Request) -> web.Response:
        record = self._webhook_interaction(request)
        body: JSON = request[BODY] or {}
        _check_message_body(body, request[FILES])
        message = self._interaction_message(record, body, request[FILES])
        record.followups.append(message)
        if _truthy(request.query.get("wait")):
            return json_response(message)
        return web.Response(status=204)

    def _webhook_message(self, request: web.Request) -> tuple[InteractionRecord, JSON]:
        record = self._webhook_interaction(request)
        wanted = request.match_info["message_id"]
        if wanted == "@original":
            message = record.original
        else:
            message = next((m for m in record.followups if m["id"] == wanted), None)
        if message is None:
            raise ApiError(404, 10008, "Unknown Message")
        return record, message

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        return json_response(self._webhook_message(request)[1])

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        _, message = self._webhook_message(request)
        _check_message_body(request[BODY] or {}, request[FILES], require_content=False)
        self._apply_edit(message, request[BODY] or {}, request[FILES])
        message["flags"] &= ~payloads.MESSAGE_FLAG_LOADING
        return json_response(message)

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        record, message = self._webhook_message(request)
        if message is record.original:
            record.original = None
        else:
            record.followups.remove(message)
        return web.Response(status=204)

    # -- message building -----------------------------------------------------------
    def _new_message(
        self,
        channel: FakeChannel,
        author: FakeUser,
        body: JSON,
        files: tuple[RecordedFile, ...],
        *,
        referenced: JSON | None = None,
        webhook_id: int | None = None,
        extra: JSON | None = None,
    ) -> JSON:
        content = body.get("content") or ""
        user_ids, role_ids = payloads.mentioned_ids(content)
        return payloads.message(
            self.world,
            message_id=self.world.ids.next(),
            chan=channel,
            author=author,
            content=content,
            mention_ids=user_ids,
            mention_role_ids=role_ids,
            embeds=[{"type": "rich", **e} for e in body.get("embeds") or []],
            attachments=self._attachments(channel.id, files),
            components=body.get("components"),
            flags=body.get("flags") or 0,
            referenced=referenced,
            webhook_id=webhook_id,
            extra=extra,
        )

    def _interaction_message(self, record: InteractionRecord, body: JSON, files: tuple[RecordedFile, ...]) -> JSON:
        payload = record.payload
        user = payload["member"]["user"] if "member" in payload else payload["user"]
        channel = self.world.find_channel(int(payload["channel_id"]))
        assert channel is not None
        metadata = {
            "id": payload["id"],
            "type": payload["type"],
            "name": payload["data"]["name"],
            "user": user,
            "authorizing_integration_owners": payload["authorizing_integration_owners"],
        }
        message = self._new_message(
            channel,
            self.world.bot,
            body,
            files,
            webhook_id=self.world.application_id,
            extra={"interaction_metadata": metadata},
        )
        message["type"] = payloads.MESSAGE_TYPE_CHAT_INPUT_COMMAND
        return message

    def _attachments(self, channel_id: int, files: tuple[RecordedFile, ...]) -> list[JSON]:
        attachments = []
        for file in files:
            attachment_id = self.world.ids.next()
            url = f"{self.attachment_base_url}/{channel_id}/{attachment_id}/{file.filename}"
            attachments.append(
                {
                    "id": str(attachment_id),
                    "filename": file.filename,
                    "size": len(file.data),
                    "url": url,
                    "proxy_url": url,
                    "content_type": file.content_type,
                }
            )
        return attachments

    def _apply_edit(self, message: JSON, body: JSON, files: tuple[RecordedFile, ...]) -> None:
        if "content" in body:
            message["content"] = body["content"] or ""
            user_ids, role_ids = payloads.mentioned_ids(message["content"])
            channel = self.world.find_channel(int(message["channel_id"]))
            assert channel is not None
            fresh = payloads.message(
                self.world,
                message_id=int(message["id"]),
                chan=channel,
                author=self.world.bot,
                content=message["content"],
                mention_ids=user_ids,
                mention_role_ids=role_ids,
            )
            message["mentions"], message["mention_roles"] = fresh["mentions"], fresh["mention_roles"]
        if "embeds" in body:
            message["embeds"] = [{"type": "rich", **e} for e in body["embeds"] or []]
        if "components" in body:
            message["components"] = body["components"] or []
        if "attachments" in body or files:
            kept_ids = {str(a.get("id")) for a in body.get("attachments") or []}
            kept = [a for a in message["attachments"] if a["id"] in kept_ids]
            message["attachments"] = kept + self._attachments(int(message["channel_id"]), files)
        message["edited_timestamp"] = payloads.iso(time.time())


def _check_message_body(body: JSON, files: tuple[RecordedFile, ...], *, require_content: bool = True) -> None:
    error = validation.message_body_error(body, has_files=bool(files), require_content=require_content)
    if error is not None:
        raise ApiError(400, error["code"], error["message"], error.get("errors"))


def _check_command(index: int, command: Any) -> None:
    """The registration rules bots most often trip over (Discord answers 400)."""
    problems = {}
    if not isinstance(command, dict) or not isinstance(command.get("name"), str):
        problems[f"{index}"] = "Command must be an object with a name"
    elif command.get("type", 1) == 1:
        name = command["name"]
        if not _COMMAND_NAME.match(name) or name != name.lower():
            problems[f"{index}.name"] = "Command name is invalid"
        if not 1 <= len(command.get("description") or "") <= 100:
            problems[f"{index}.description"] = "Must be between 1 and 100 in length."
        if len(command.get("options") or []) > 25:
            problems[f"{index}.options"] = "Must be 25 or fewer in length."
    if problems:
        errors = {path: {"_errors": [{"code": "APPLICATION_COMMAND_INVALID", "message": text}]} for path, text in problems.items()}
        raise ApiError(400, 50035, "Invalid Form Body", errors)


def _error_response(error: ApiError) -> web.Response:
    return json_response(error.body(), status=error.status)


def _rate_limited_response(retry_after: float) -> web.Response:
    """A per-route 429. discord.py only honours a 429 that has a ``Via`` header (without
    it the 429 is taken for a Cloudflare ban and raised as HTTPException)."""
    headers = {
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
        "X-RateLimit-Bucket": "fake-message-bucket",
        "X-RateLimit-Scope": "user",
        "Retry-After": str(math.ceil(retry_after)),
        "Via": "1.1 google",
    }
    body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False, "code": 0}
    return json_response(body, status=429, headers=headers)


async def _read_body(request: web.Request) -> tuple[Any, tuple[RecordedFile, ...]]:
    """JSON bodies, and multipart bodies (payload_json + files[n]) as discord.py sends
    them with attachments."""
    if request.content_type == "application/json":
        raw = await request.read()
        try:
            return (json.loads(raw) if raw else None), ()
        except ValueError:
            raise ApiError(400, 50109, "The request body contains invalid JSON.") from None
    if request.content_type.startswith("multipart/"):
        body: Any = None
        files = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "payload_json":
                body = json.loads(await part.text())
            else:
                data = bytes(await part.read())
                files.append(RecordedFile(part.name or "", part.filename, part.headers.get("Content-Type", ""), data))
        return body, tuple(files)
    return None, ()
