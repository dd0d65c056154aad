"""Item photos (SPEC §8): what the photo routes accept and the shape of a presigned POST."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from chalicelib.domain import photos as photo_rules
from chalicelib.schemas.fields import StrictSchema, zh_messages

_TYPES = list(photo_rules.PHOTO_TYPES)


class PhotoUploadRequestSchema(StrictSchema):
    content_type = fields.String(
        required=True,
        validate=validate.OneOf(_TYPES, error=photo_rules.WRONG_TYPE),
        error_messages=zh_messages(invalid="须为文本", required="请说明照片格式（image/jpeg 或 image/png）"),
        metadata={"description": "照片格式，上传时须一致"},
    )
    size = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=photo_rules.PHOTO_MAX_BYTES, error=photo_rules.TOO_LARGE),
        error_messages=zh_messages(invalid="须为整数"),
        metadata={"description": "可选：文件字节数，超过 5 MB 时立即拒绝（S3 也会拒绝）"},
    )


class PhotoAttachSchema(StrictSchema):
    key = fields.String(
        required=True,
        validate=validate.Length(min=1, max=300, error="上传地址无效"),
        error_messages=zh_messages(invalid="须为文本", required="请提供上传时的 key"),
        metadata={"description": "照片上传时使用的 key（来自 photo-upload 的答复）"},
    )


class PhotoUploadSchema(Schema):
    url = fields.String(required=True, metadata={"description": "以 multipart/form-data POST 到此地址"})
    form_fields = fields.Dict(
        data_key="fields",
        attribute="fields",
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "须原样放在表单中、文件字段 file 之前的字段"},
    )
    key = fields.String(required=True, metadata={"description": "上传成功后用它确认（POST …/photo）"})
    content_type = fields.String(required=True, validate=validate.OneOf(_TYPES))
    max_bytes = fields.Integer(required=True, metadata={"example": photo_rules.PHOTO_MAX_BYTES})
    expires_in = fields.Integer(required=True, metadata={"description": "上传许可的有效秒数"})


PHOTO_UPLOAD_REQUEST = PhotoUploadRequestSchema()
PHOTO_ATTACH = PhotoAttachSchema()
PHOTO_UPLOAD = PhotoUploadSchema()
