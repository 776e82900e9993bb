import { describe, expect, it } from 'vitest'
import { createErrorField } from './data'

describe('createErrorField', () => {
  it('maps the server words to the field', () => {
    expect(createErrorField('invalid email address')).toBe('email')
    expect(createErrorField('an admin with this email already exists')).toBe('email')
    expect(createErrorField('password must be at least 8 characters')).toBe('password')
    expect(createErrorField('this needs an instance administrator')).toBe('form')
  })
})
