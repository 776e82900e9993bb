import { describe, expect, it } from 'vitest'
import { ApiError } from '../../api'
import { passwordErrorField } from './data'

describe('passwordErrorField', () => {
  it('puts each server error next to the field it is about', () => {
    expect(passwordErrorField(new ApiError(400, 142, 'the current password is incorrect'))).toBe('current')
    expect(passwordErrorField(new ApiError(400, 142, 'password must be at least 8 characters'))).toBe('new')
    expect(passwordErrorField(new ApiError(500, 1, 'Internal server error'))).toBe('form')
    expect(passwordErrorField(new Error('network down'))).toBe('form')
  })
})
